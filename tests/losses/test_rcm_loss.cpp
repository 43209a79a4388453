// RCM (METHODS §1) on hand-built tensors: region labels, prototypes as normalised region means,
// leave-one-out across the batch, the memory, and masked missing prototypes.
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>

#include "losses/prototype_memory.h"
#include "losses/rcm_loss.h"

namespace {

torch::Tensor unitRows(const torch::Tensor& rows) { return rows / rows.norm(2, -1, true); }

}  // namespace

TEST_CASE("region labels: the top support class at or above the threshold, else background",
          "[losses][rcm]") {
  const torch::Tensor scores =
      torch::tensor({0.9f, 0.1f, 0.3f, 0.0f, 0.2f, 0.5f, 0.29f, 0.0f}).view({1, 2, 2, 2});
  const torch::Tensor labels = wsss::regionLabels(scores, 0.3);
  CHECK(torch::equal(labels, torch::tensor({1, 2, 1, 0}, torch::kLong).view({1, 2, 2})));
}

TEST_CASE("region labels: an ignore band below the threshold is neither a class nor background",
          "[losses][rcm]") {
  // One class; peaks 0.6, 0.45, 0.25 and 0.1 against a threshold of 0.5 and a band of 0.3: bg
  // below 0.2, ignored from 0.2 up to 0.5.
  const torch::Tensor scores = torch::tensor({0.6f, 0.45f, 0.25f, 0.1f}).view({1, 1, 2, 2});
  CHECK(torch::equal(wsss::regionLabels(scores, 0.5, 0.3),
                     torch::tensor({1, 255, 255, 0}, torch::kLong).view({1, 2, 2})));
  // No band is METHODS' rule: everything short of the threshold is background.
  CHECK(torch::equal(wsss::regionLabels(scores, 0.5, 0.0),
                     torch::tensor({1, 0, 0, 0}, torch::kLong).view({1, 2, 2})));
}

TEST_CASE("a prototype is the normalised mean of its region's embeddings", "[losses][rcm]") {
  // Four pixels of one image: two of region 0, one of region 2, one ignored. Region 1 is empty.
  const torch::Tensor pixels =
      unitRows(torch::tensor({{1.f, 0.f}, {0.f, 1.f}, {3.f, 4.f}, {-1.f, 0.f}}));
  const torch::Tensor embedding = pixels.t().reshape({1, 2, 2, 2});
  const torch::Tensor region = torch::tensor({0, 0, 2, 255}, torch::kLong).view({1, 2, 2});
  const wsss::RegionPrototypes prototypes = wsss::imagePrototypes(embedding, region, 3);
  REQUIRE(prototypes.vectors.sizes() == torch::IntArrayRef({1, 3, 2}));
  const float half = static_cast<float>(1.0 / std::sqrt(2.0));
  CHECK(torch::allclose(prototypes.vectors[0][0], torch::tensor({half, half})));
  CHECK(torch::allclose(prototypes.vectors[0][2], torch::tensor({0.6f, 0.8f})));
  CHECK(torch::equal(prototypes.vectors[0][1], torch::zeros({2})));
  CHECK(torch::equal(prototypes.present, torch::tensor({{true, false, true}})));
}

TEST_CASE("leave-one-out prototypes exclude the image itself", "[losses][rcm]") {
  // Three images, two regions. Region 0 is in every image; region 1 only in image 0.
  wsss::RegionPrototypes images;
  images.vectors = torch::zeros({3, 2, 2});
  images.vectors[0][0] = torch::tensor({1.f, 0.f});
  images.vectors[1][0] = torch::tensor({0.f, 1.f});
  images.vectors[2][0] = torch::tensor({0.6f, 0.8f});
  images.vectors[0][1] = torch::tensor({0.f, -1.f});
  images.present = torch::tensor({{true, true}, {true, false}, {true, false}});
  const wsss::RegionPrototypes others = wsss::leaveOneOutPrototypes(images, {}, {});

  // Image 0 sees the normalised mean of images 1 and 2 only, never its own (1, 0).
  CHECK(torch::allclose(others.vectors[0][0], unitRows(torch::tensor({0.6f, 1.8f}))));
  CHECK(torch::allclose(others.vectors[1][0], unitRows(torch::tensor({1.6f, 0.8f}))));
  CHECK(torch::allclose(others.vectors[2][0], unitRows(torch::tensor({1.f, 1.f}))));
  // Region 1 exists only in image 0: image 0 has no prototype for it, the others do.
  CHECK(torch::equal(others.present, torch::tensor({{true, false}, {true, true}, {true, true}})));
  CHECK(torch::equal(others.vectors[0][1], torch::zeros({2})));
  CHECK(torch::allclose(others.vectors[1][1], torch::tensor({0.f, -1.f})));

  SECTION("the memory is averaged in and fills a missing prototype") {
    const torch::Tensor memorySum = torch::tensor({{0.f, 0.f}, {1.f, 0.f}});
    const torch::Tensor memoryCount = torch::tensor({0, 1}, torch::kLong);
    const wsss::RegionPrototypes remembered =
        wsss::leaveOneOutPrototypes(images, memorySum, memoryCount);
    CHECK(remembered.present.all().item<bool>());
    CHECK(torch::allclose(remembered.vectors[0][1], torch::tensor({1.f, 0.f})));
    CHECK(torch::allclose(remembered.vectors[1][1], unitRows(torch::tensor({1.f, -1.f}))));
    CHECK(torch::allclose(remembered.vectors[0][0], others.vectors[0][0]));
  }
}

TEST_CASE("L_rcm masks a missing prototype out of the softmax instead of a zero logit",
          "[losses][rcm]") {
  // One image, two pixels, three regions; region 2's prototype is missing.
  wsss::RegionPrototypes prototypes;
  prototypes.vectors = torch::tensor({{{1.f, 0.f}, {0.f, 1.f}, {0.f, 0.f}}});
  prototypes.present = torch::tensor({{true, true, false}});
  const torch::Tensor pixels = unitRows(torch::tensor({{3.f, 4.f}, {1.f, 0.f}}));
  const torch::Tensor embedding = pixels.t().reshape({1, 2, 1, 2}).clone().requires_grad_();
  // Pixel 0 is region 0; pixel 1 is region 2, whose prototype is missing: it is ignored.
  const torch::Tensor region = torch::tensor({0, 2}, torch::kLong).view({1, 1, 2});
  const double temperature = 0.5;
  const torch::Tensor loss = wsss::rcmLoss(embedding, prototypes, region, temperature);

  // By hand: pixel 0 has logits 0.6/τ and 0.8/τ over the two present prototypes only.
  const double z0 = 0.6 / temperature;
  const double z1 = 0.8 / temperature;
  const double expected = -z0 + std::log(std::exp(z0) + std::exp(z1));
  CHECK(loss.item<double>() == Approx(expected).epsilon(1e-5));
  // A zero vector would have added exp(0) to the denominator.
  const double withZero = -z0 + std::log(std::exp(z0) + std::exp(z1) + 1.0);
  CHECK(std::abs(loss.item<double>() - withZero) > 0.05);

  loss.backward();
  // The ignored pixel gets no gradient at all.
  CHECK(embedding.grad().select(3, 1).abs().sum().item<double>() == 0.0);
  CHECK(embedding.grad().select(3, 0).abs().sum().item<double>() > 0.0);

  SECTION("no usable pixel gives 0, not NaN") {
    const torch::Tensor nothing =
        wsss::rcmLoss(embedding, prototypes, torch::full({1, 1, 2}, 2, torch::kLong), temperature);
    CHECK(nothing.item<double>() == 0.0);
  }
}

TEST_CASE("the prototype memory keeps the newest N prototypes of each region", "[losses][rcm]") {
  wsss::PrototypeMemory memory(2, 2, 2);
  CHECK(torch::equal(memory->count(), torch::tensor({0, 0}, torch::kLong)));
  wsss::RegionPrototypes batch;
  // Three images: region 0 in all of them, region 1 only in image 1.
  batch.vectors = torch::tensor(
      {{{1.f, 0.f}, {0.f, 0.f}}, {{0.f, 1.f}, {0.6f, 0.8f}}, {{-1.f, 0.f}, {0.f, 0.f}}});
  batch.present = torch::tensor({{true, false}, {true, true}, {true, false}});
  memory->push(batch);
  // Region 0 holds the two newest (images 1 and 2), region 1 the one it saw.
  CHECK(torch::equal(memory->count(), torch::tensor({2, 1}, torch::kLong)));
  CHECK(torch::allclose(memory->sum(), torch::tensor({{-1.f, 1.f}, {0.6f, 0.8f}})));

  // One more prototype of region 0 replaces the oldest one kept (image 1's).
  wsss::RegionPrototypes next;
  next.vectors = torch::tensor({{{0.f, -1.f}, {0.f, 0.f}}});
  next.present = torch::tensor({{true, false}});
  memory->push(next);
  CHECK(torch::equal(memory->count(), torch::tensor({2, 1}, torch::kLong)));
  CHECK(torch::allclose(memory->sum(), torch::tensor({{-1.f, -1.f}, {0.6f, 0.8f}})));

  SECTION("its state goes through a save and a load, and the ring continues from it") {
    std::stringstream stream;
    torch::save(memory, stream);
    wsss::PrototypeMemory copy(2, 2, 2);
    torch::load(copy, stream);
    CHECK(torch::equal(copy->sum(), memory->sum()));
    CHECK(torch::equal(copy->count(), memory->count()));
    // Region 1 holds one prototype in slot 0, so its next one goes to slot 1 and both stay;
    // a copy that lost the write position would overwrite slot 0.
    wsss::RegionPrototypes third;
    third.vectors = torch::tensor({{{0.f, 0.f}, {1.f, 0.f}}});
    third.present = torch::tensor({{false, true}});
    copy->push(third);
    memory->push(third);
    CHECK(torch::equal(copy->sum(), memory->sum()));
    CHECK(torch::allclose(copy->sum()[1], torch::tensor({1.6f, 0.8f})));
  }
}
