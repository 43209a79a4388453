// The image-guided refinement of METHODS §3 on hand-built images: its stencil, kernel sums, the
// constant-map fixed point, an edge that stops a leak, the valid mask, and CPU against CUDA.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "models/refine/image_refinement.h"
#include "models/refine/neighbour_stencil.h"
#include "test_helpers.h"

namespace {

// Left half red, right half blue, with a little noise so that no neighbourhood is flat.
torch::Tensor twoRegionImage(int64_t size) {
  torch::Tensor image = torch::zeros({1, 3, size, size});
  image.index_put_({0, 0, torch::indexing::Slice(), torch::indexing::Slice(0, size / 2)}, 1.0);
  image.index_put_({0, 2, torch::indexing::Slice(), torch::indexing::Slice(size / 2, size)}, 1.0);
  return image + 0.01 * torch::randn_like(image);
}

wsss::ImageRefinementOptions fullSize() {
  wsss::ImageRefinementOptions options;
  options.scale = 1.0;  // refine at the maps' own size, so no resampling is involved
  return options;
}

}  // namespace

TEST_CASE("the stencil holds 8 neighbours per dilation at d or √2·d", "[models][refine]") {
  const auto offsets = wsss::stencilOffsets({1, 4}, false);
  REQUIRE(offsets.size() == 16);
  CHECK(offsets[1].dy == -1);
  CHECK(offsets[1].dx == 0);
  CHECK(offsets[8].dy == -4);
  CHECK(offsets[8].dx == -4);
  CHECK(offsets[8].distance() == Approx(4 * std::sqrt(2.0)));
  CHECK(offsets[9].distance() == Approx(4.0));
  const auto withCentre = wsss::stencilOffsets({2}, true);
  REQUIRE(withCentre.size() == 9);
  CHECK(withCentre[0].distance() == 0.0);
  CHECK_THROWS_WITH(wsss::stencilOffsets({0}, false), Catch::Contains("at least 1"));
}

TEST_CASE("neighbour views replicate the border and the weighted sum matches the views",
          "[models][refine]") {
  const torch::Tensor x = torch::arange(9, torch::kFloat32).view({1, 1, 3, 3});
  const auto offsets = wsss::stencilOffsets({1}, false);
  const wsss::NeighbourViews views(x, offsets);
  // Neighbour 0 is up-left: at (0, 0) the replicated corner, at (1, 1) the pixel (0, 0).
  CHECK(views[0][0][0][0][0].item<float>() == 0.f);
  CHECK(views[0][0][0][1][1].item<float>() == 0.f);
  CHECK(views[0][0][0][2][2].item<float>() == 4.f);
  const torch::Tensor weights = torch::rand({1, 8, 3, 3});
  const torch::Tensor expected = (views.stacked() * weights.unsqueeze(1)).sum(2);
  CHECK(torch::allclose(wsss::weightedNeighbourSum(x, weights, offsets), expected));
}

TEST_CASE("the kernel weights of each pixel sum to 1 + w2, and 0 go to invalid neighbours",
          "[models][refine]") {
  torch::manual_seed(0);
  const torch::Tensor image = torch::rand({2, 3, 20, 24});
  wsss::ImageRefinementOptions options;
  const auto offsets = wsss::stencilOffsets(options.dilations, false);
  const torch::Tensor kernel = wsss::refinementKernel(image, torch::Tensor(), offsets, options);
  REQUIRE(kernel.sizes() == torch::IntArrayRef({2, 48, 20, 24}));
  CHECK(torch::allclose(kernel.sum(1), torch::full({2, 20, 24}, 1.0 + options.positionWeight)));
  CHECK(kernel.min().item<float>() >= 0);

  // The right half is outside the valid area: no valid pixel takes from it.
  torch::Tensor valid = torch::ones({2, 1, 20, 24}, torch::kBool);
  valid.narrow(3, 12, 12).fill_(false);
  const torch::Tensor masked = wsss::refinementKernel(image, valid, offsets, options);
  CHECK(torch::allclose(masked.sum(1), torch::full({2, 20, 24}, 1.0 + options.positionWeight)));
  const torch::Tensor usable = wsss::validNeighbours(valid, offsets);
  CHECK(masked.masked_select(usable.logical_not()).abs().max().item<float>() == 0.f);
}

TEST_CASE("the refinement is the identity on a constant map, on any image", "[models][refine]") {
  torch::manual_seed(1);
  const torch::Tensor maps = torch::full({2, 4, 16, 16}, 0.37f);
  for (const torch::Tensor& image :
       {torch::rand({2, 3, 16, 16}), torch::full({2, 3, 16, 16}, 0.5f)}) {
    // Each step is a weighted mean whose weights sum to 1: exact up to float rounding.
    for (const auto& options : {fullSize(), wsss::ImageRefinementOptions()}) {
      const torch::Tensor refined = wsss::refineWithImage(image, maps, torch::Tensor(), options);
      CHECK(refined.sizes() == maps.sizes());
      CHECK((refined - maps).abs().max().item<float>() < 1e-5f);
    }
  }
}

TEST_CASE("the kernel matches the formula computed the direct way", "[models][refine]") {
  // κ_rgb from the stacked neighbours and torch's std, as METHODS writes it.
  torch::manual_seed(6);
  const torch::Tensor image = torch::rand({1, 3, 9, 9}) * 5 + 100;  // large values, small spread
  wsss::ImageRefinementOptions options;
  options.dilations = {1, 2};
  const auto offsets = wsss::stencilOffsets(options.dilations, false);
  const torch::Tensor neighbours = wsss::NeighbourViews(image, offsets).stacked();
  const torch::Tensor spread = neighbours.std(2, true, true);
  const torch::Tensor colourLogits =
      -((image.unsqueeze(2) - neighbours).abs() / (spread + 1e-8) / 0.3).square().mean(1);
  torch::Tensor distance = torch::zeros({16});
  for (int64_t j = 0; j < 16; ++j) distance[j] = offsets[static_cast<size_t>(j)].distance();
  const torch::Tensor positionLogits = -(distance / (distance.std() + 1e-8) / 0.3).square();
  const torch::Tensor expected = torch::softmax(colourLogits, 1) +
                                 0.01 * torch::softmax(positionLogits, 0).view({1, 16, 1, 1});
  CHECK(torch::allclose(wsss::refinementKernel(image, torch::Tensor(), offsets, options), expected,
                        1e-3, 1e-5));
}

TEST_CASE("a map leaking across a colour edge is pulled back to its region", "[models][refine]") {
  torch::manual_seed(2);
  const int64_t size = 48;
  const torch::Tensor image = twoRegionImage(size);
  // The object is the red left half, but its map spills 4 columns into the blue half.
  torch::Tensor maps = torch::zeros({1, 1, size, size});
  maps.narrow(3, 0, size / 2 + 4).fill_(1.0);
  const torch::Tensor refined = wsss::refineWithImage(image, maps, torch::Tensor(), fullSize());
  const torch::Tensor leak = refined.narrow(3, size / 2, 4);
  const torch::Tensor object = refined.narrow(3, 0, size / 2);
  INFO("leak " << leak.mean().item<double>() << ", object " << object.mean().item<double>());
  CHECK(leak.mean().item<double>() < 0.3);
  CHECK(object.mean().item<double>() > 0.95);
  // Without the edge (a flat image) the same map only blurs: the leak stays.
  const torch::Tensor flat =
      wsss::refineWithImage(torch::zeros_like(image), maps, torch::Tensor(), fullSize());
  CHECK(flat.narrow(3, size / 2, 4).mean().item<double>() > 0.5);
}

TEST_CASE("pixels outside the valid area neither change nor leak in", "[models][refine]") {
  torch::manual_seed(3);
  const torch::Tensor image = torch::rand({1, 3, 24, 24});
  torch::Tensor maps = torch::rand({1, 2, 24, 24});
  maps.narrow(3, 16, 8).fill_(100.0);  // padding with a value no valid pixel may take
  torch::Tensor valid = torch::ones({1, 24, 24}, torch::kBool);
  valid.narrow(2, 16, 8).fill_(false);
  const torch::Tensor refined = wsss::refineWithImage(image, maps, valid, fullSize());
  CHECK(wsss::test::sameTensor(refined.narrow(3, 16, 8), maps.narrow(3, 16, 8)));
  CHECK(refined.narrow(3, 0, 16).max().item<float>() <= 1.0f);
  CHECK_THROWS_WITH(wsss::refineWithImage(image, maps, torch::ones({1, 1, 12, 12}), fullSize()),
                    Catch::Contains("valid mask"));
}

TEST_CASE("refining the present classes equals refining them alone - absent ones are 0",
          "[models][refine]") {
  torch::manual_seed(4);
  const torch::Tensor image = torch::rand({2, 3, 20, 20});
  const torch::Tensor labels = torch::tensor({{1.f, 0.f, 1.f, 0.f}, {0.f, 0.f, 0.f, 1.f}});
  const torch::Tensor maps = torch::rand({2, 4, 20, 20}) * labels.unsqueeze(-1).unsqueeze(-1);
  const wsss::ImageRefinementOptions options;
  const torch::Tensor refined =
      wsss::refinePresentClasses(image, maps, labels, torch::Tensor(), options);
  const torch::Tensor alone = wsss::refineWithImage(image, maps, torch::Tensor(), options);
  // A channel's refinement does not depend on the others.
  CHECK(torch::allclose(refined, alone * labels.unsqueeze(-1).unsqueeze(-1), 0, 1e-6));
  CHECK(refined[0][1].abs().max().item<float>() == 0.f);
  CHECK(wsss::refinePresentClasses(image, maps, torch::zeros({2, 4}), torch::Tensor(), options)
            .abs()
            .max()
            .item<float>() == 0.f);
}

TEST_CASE("the refinement gives the same maps on CUDA as on the CPU", "[models][refine][cuda]") {
  if (!torch::cuda::is_available()) {
    WARN("no CUDA device: the CPU-CUDA agreement is checked only where one is");
    return;
  }
  torch::manual_seed(5);
  const torch::Tensor image = torch::rand({2, 3, 64, 64});
  const torch::Tensor maps = torch::rand({2, 5, 64, 64});
  torch::Tensor valid = torch::ones({2, 1, 64, 64}, torch::kBool);
  valid.narrow(2, 50, 14).fill_(false);
  const wsss::ImageRefinementOptions options;
  const torch::Tensor cpu = wsss::refineWithImage(image, maps, valid, options);
  const torch::Tensor cuda =
      wsss::refineWithImage(image.cuda(), maps.cuda(), valid.cuda(), options).cpu();
  CHECK(torch::allclose(cpu, cuda, 1e-4, 1e-5));
}
