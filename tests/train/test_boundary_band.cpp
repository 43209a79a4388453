// The boundary band of a label map on hand-built maps: which pixels lie near an edge, void
// included, batched or not.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include "train/evaluation/boundary_band.h"

namespace {

// 9 x 9 background with a 3 x 3 square of class 1 at rows and columns 3..5.
torch::Tensor squareMap() {
  torch::Tensor labels = torch::zeros({9, 9}, torch::kInt64);
  labels.slice(0, 3, 6).slice(1, 3, 6).fill_(1);
  return labels;
}

}  // namespace

TEST_CASE("boundary band: the pixels with another label within the width", "[evaluator]") {
  const torch::Tensor labels = squareMap();
  const torch::Tensor one = wsss::boundaryBand(labels, 1);
  REQUIRE(one.sizes() == labels.sizes());
  REQUIRE(one.scalar_type() == torch::kBool);
  // The 5 x 5 block around the square, less its centre, whose 3 x 3 window is all class 1.
  torch::Tensor expected = torch::zeros({9, 9}, torch::kBool);
  expected.slice(0, 2, 7).slice(1, 2, 7).fill_(true);
  expected[4][4] = false;
  CHECK(one.equal(expected));
  CHECK(one.sum().item<int64_t>() == 24);

  // Width 2 takes the centre in and reaches one pixel further out: the 7 x 7 block.
  const torch::Tensor two = wsss::boundaryBand(labels, 2);
  CHECK(two.sum().item<int64_t>() == 49);
  CHECK(two.slice(0, 1, 8).slice(1, 1, 8).all().item<bool>());

  CHECK_FALSE(wsss::boundaryBand(labels, 0).any().item<bool>());
  CHECK_FALSE(wsss::boundaryBand(torch::full({6, 7}, 3L), 2).any().item<bool>());
}

TEST_CASE("boundary band: void is another label, and a batch is banded image by image",
          "[evaluator]") {
  // A void ring (255) between background and an object: the object's pixels next to the ring
  // are in the band even though no background touches them.
  torch::Tensor voided = torch::zeros({9, 9}, torch::kInt64);
  voided.slice(0, 2, 7).slice(1, 2, 7).fill_(255);
  voided.slice(0, 3, 6).slice(1, 3, 6).fill_(1);
  const torch::Tensor band = wsss::boundaryBand(voided, 1);
  CHECK(band[3][3].item<bool>());
  CHECK_FALSE(band[4][4].item<bool>());
  CHECK_FALSE(band[0][0].item<bool>());

  // Two images side by side in a batch do not see each other's edges.
  const torch::Tensor batch = torch::stack({squareMap(), torch::zeros({9, 9}, torch::kInt64)});
  const torch::Tensor batched = wsss::boundaryBand(batch, 1);
  CHECK(batched[0].equal(wsss::boundaryBand(squareMap(), 1)));
  CHECK_FALSE(batched[1].any().item<bool>());

  CHECK_THROWS(wsss::boundaryBand(torch::zeros({9}, torch::kInt64), 1));
  CHECK_THROWS(wsss::boundaryBand(squareMap(), -1));
}

TEST_CASE("boundary band: a target restricted to the band keeps its labels there, 255 elsewhere",
          "[evaluator]") {
  const torch::Tensor labels = squareMap();
  const torch::Tensor restricted = wsss::restrictToBoundaryBand(labels, 1);
  const torch::Tensor band = wsss::boundaryBand(labels, 1);
  CHECK(restricted.masked_select(band).equal(labels.masked_select(band)));
  CHECK(restricted.masked_select(band.logical_not()).eq(255).all().item<bool>());
  CHECK(wsss::restrictToBoundaryBand(labels, 0).eq(255).all().item<bool>());
}
