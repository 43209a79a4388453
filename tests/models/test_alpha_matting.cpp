// Trimaps from fg/bg-decoupled maps, and the propagate matting solver on an image whose alpha is
// known (METHODS §4).
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "models/refine/alpha_matting.h"
#include "models/refine/infoflow_matting.h"

namespace {

// A soft-edged disc of alpha on a 64 x 64 image: 1 inside radius 16, 0 outside radius 22, a
// linear ramp between; the image mixes a textured red foreground with a textured blue
// background by it.
struct KnownMatte {
  torch::Tensor image;  // 1 x 3 x 64 x 64
  torch::Tensor alpha;  // 1 x 1 x 64 x 64
};

KnownMatte softDisc() {
  torch::manual_seed(7);
  const torch::Tensor y = torch::arange(64, torch::kFloat32).view({-1, 1}) - 31.5;
  const torch::Tensor x = torch::arange(64, torch::kFloat32).view({1, -1}) - 31.5;
  const torch::Tensor radius = (y.square() + x.square()).sqrt();
  const torch::Tensor alpha = ((22.0 - radius) / 6.0).clamp(0.0, 1.0).view({1, 1, 64, 64});
  const torch::Tensor texture = torch::rand({1, 3, 64, 64}) * 0.15;
  const torch::Tensor red = torch::tensor({0.9f, 0.15f, 0.1f}).view({1, 3, 1, 1}) + texture;
  const torch::Tensor blue = torch::tensor({0.1f, 0.2f, 0.85f}).view({1, 3, 1, 1}) +
                             texture.flip({2, 3});
  return {alpha * red + (1 - alpha) * blue, alpha};
}

// The trimap of a known alpha: foreground where it is 1, background where 0, unknown between.
torch::Tensor trimapOf(const torch::Tensor& alpha) {
  torch::Tensor trimap = torch::full(alpha.sizes(), wsss::kTrimapUnknown, torch::kUInt8);
  trimap.masked_fill_(alpha.ge(1.0), wsss::kTrimapForeground);
  trimap.masked_fill_(alpha.le(0.0), wsss::kTrimapBackground);
  return trimap;
}

}  // namespace

TEST_CASE("trimaps: sure foreground of the top class, background below the low threshold or "
          "under another class's foreground",
          "[models][matting]") {
  // Two present classes and an absent one, over four pixels.
  const torch::Tensor maps = torch::tensor({0.9f, 0.5f, 0.1f, 0.75f,   // class 1
                                            0.2f, 0.8f, 0.2f, 0.72f,   // class 2
                                            0.95f, 0.9f, 0.9f, 0.9f})  // class 3, absent
                                 .view({1, 3, 1, 4});
  const torch::Tensor labels = torch::tensor({{1.f, 1.f, 0.f}});
  const torch::Tensor trimaps = wsss::makeTrimaps(maps, labels, {}, {});
  const auto at = [&](int64_t c, int64_t i) { return trimaps[0][c][0][i].item<int64_t>(); };
  // Pixel 0: class 1 sure; class 2 is background there.
  CHECK(at(0, 0) == wsss::kTrimapForeground);
  CHECK(at(1, 0) == wsss::kTrimapBackground);
  // Pixel 1: class 2 sure (0.8, the top); class 1 background under it.
  CHECK(at(1, 1) == wsss::kTrimapForeground);
  CHECK(at(0, 1) == wsss::kTrimapBackground);
  // Pixel 2: every present map at or below 0.3: background for all.
  CHECK(at(0, 2) == wsss::kTrimapBackground);
  CHECK(at(1, 2) == wsss::kTrimapBackground);
  // Pixel 3: both above 0.7, class 1 the top: sure for class 1, background for class 2.
  CHECK(at(0, 3) == wsss::kTrimapForeground);
  CHECK(at(1, 3) == wsss::kTrimapBackground);
  // The absent class is background everywhere, whatever its map says.
  CHECK(trimaps[0][2].eq(wsss::kTrimapBackground).all().item<bool>());

  SECTION("between the thresholds the pixel is unknown; padding is background") {
    const torch::Tensor middle = torch::tensor({0.5f, 0.6f, 0.1f, 0.9f}).view({1, 1, 1, 4});
    torch::Tensor valid = torch::ones({1, 1, 1, 4}, torch::kBool);
    valid[0][0][0][3] = false;
    const torch::Tensor one = wsss::makeTrimaps(middle, torch::ones({1, 1}), valid, {});
    CHECK(one.flatten().equal(torch::tensor({128, 128, 0, 0}, torch::kUInt8)));
  }
}

TEST_CASE("propagate recovers a known alpha and holds the known pixels exactly",
          "[models][matting]") {
  const KnownMatte matte = softDisc();
  const torch::Tensor trimap = trimapOf(matte.alpha);
  wsss::ImageRefinementOptions refinement;
  refinement.dilations = {1, 2, 4};
  refinement.scale = 1.0;
  const wsss::PropagationResult result =
      wsss::propagateAlpha(matte.image, trimap, {}, refinement, 1e-4, 2000);
  const torch::Tensor unknown = trimap.eq(wsss::kTrimapUnknown);
  const torch::Tensor error = (result.alpha - matte.alpha).abs();
  const double meanError = error.masked_select(unknown).mean().item<double>();
  INFO("iterations " << result.iterations << ", last change " << result.lastChange
                     << ", mean error on the band " << meanError);
  CHECK(result.lastChange < 1e-4);
  CHECK(result.iterations < 2000);
  // The ramp is recovered to within 0.1 on average (a half-way guess errs by 0.25).
  CHECK(meanError < 0.1);
  CHECK(error.masked_select(unknown.logical_not()).max().item<double>() == 0.0);
  // Monotone along the ramp: the inner half of the band is more foreground than the outer.
  const torch::Tensor y = torch::arange(64, torch::kFloat32).view({-1, 1}) - 31.5;
  const torch::Tensor x = torch::arange(64, torch::kFloat32).view({1, -1}) - 31.5;
  const torch::Tensor radius = (y.square() + x.square()).sqrt().view({1, 1, 64, 64});
  const double inner = result.alpha.masked_select(unknown & radius.lt(19)).mean().item<double>();
  const double outer = result.alpha.masked_select(unknown & radius.ge(19)).mean().item<double>();
  CHECK(inner > outer + 0.2);

  SECTION("at half the size, as the pseudo-labels run it") {
    refinement.scale = 0.5;
    const wsss::PropagationResult half =
        wsss::propagateAlpha(matte.image, trimap, {}, refinement, 1e-3, 500);
    CHECK((half.alpha - matte.alpha).abs().masked_select(unknown).mean().item<double>() < 0.12);
    CHECK((half.alpha - matte.alpha).abs().masked_select(unknown.logical_not()).max().item<double>() ==
          0.0);
  }
  SECTION("the solver stops at max_iterations when the tolerance is not reached") {
    const wsss::PropagationResult capped =
        wsss::propagateAlpha(matte.image, trimap, {}, refinement, 0.0, 3);
    CHECK(capped.iterations == 3);
    CHECK(capped.lastChange > 0);
  }
  SECTION("two classes of two images at once, as each alone") {
    const torch::Tensor images = torch::cat({matte.image, matte.image.flip({3})});
    const torch::Tensor trimaps =
        torch::cat({torch::cat({trimap, trimap.flip({2})}, 1),
                    torch::cat({trimap.flip({3}), trimap}, 1)});
    const wsss::PropagationResult both =
        wsss::propagateAlpha(images, trimaps, {}, refinement, 0.0, 40);
    const wsss::PropagationResult alone =
        wsss::propagateAlpha(matte.image, trimap, {}, refinement, 0.0, 40);
    CHECK(torch::allclose(both.alpha[0][0], alone.alpha[0][0], 1e-5, 1e-6));
  }
}

TEST_CASE("labels of mattes: the top alpha's class, background where every alpha is below 0.5",
          "[models][matting]") {
  const torch::Tensor alpha =
      torch::tensor({0.9f, 0.2f, 0.4f, 0.6f, 0.7f, 0.45f}).view({1, 2, 1, 3});
  CHECK(wsss::labelsFromAlpha(alpha).flatten().equal(torch::tensor({1, 2, 0}, torch::kInt64)));
}

TEST_CASE("infoflow recovers the known alpha, and propagate stays near it", "[models][matting]") {
  if (!wsss::infoFlowAvailable()) {
    WARN("this build has no OpenCV alphamat: infoflow is not checked");
    return;
  }
  const KnownMatte matte = softDisc();
  const torch::Tensor trimap = trimapOf(matte.alpha);
  const torch::Tensor unknown = trimap.eq(wsss::kTrimapUnknown);
  const torch::Tensor reference = wsss::infoFlowAlpha(matte.image, trimap);
  REQUIRE(reference.sizes() == matte.alpha.sizes());
  const double referenceError =
      (reference - matte.alpha).abs().masked_select(unknown).mean().item<double>();
  wsss::ImageRefinementOptions refinement;
  refinement.dilations = {1, 2, 4};
  refinement.scale = 1.0;
  const torch::Tensor propagated =
      wsss::propagateAlpha(matte.image, trimap, {}, refinement, 1e-4, 2000).alpha;
  const double distance = (propagated - reference).abs().masked_select(unknown).mean().item<double>();
  INFO("infoflow error " << referenceError << ", propagate - infoflow " << distance);
  CHECK(referenceError < 0.1);
  CHECK(distance < 0.12);
  CHECK((reference - matte.alpha).abs().masked_select(unknown.logical_not()).max().item<double>() ==
        0.0);

  SECTION("trimaps without an unknown pixel, foreground or background need no solve") {
    torch::Tensor flat = torch::full({1, 3, 8, 8}, wsss::kTrimapUnknown, torch::kUInt8);
    flat[0][0].fill_(wsss::kTrimapBackground);
    flat[0][1].narrow(0, 0, 4).fill_(wsss::kTrimapForeground);
    flat[0][2].narrow(0, 0, 4).fill_(wsss::kTrimapBackground);
    const torch::Tensor alpha = wsss::infoFlowAlpha(torch::rand({1, 3, 8, 8}), flat);
    CHECK(alpha[0][0].eq(0).all().item<bool>());
    CHECK(alpha[0][1].eq(1).all().item<bool>());
    CHECK(alpha[0][2].eq(0).all().item<bool>());
  }
}
