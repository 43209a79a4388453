// The losses of METHODS §3 on hand-built maps: L_affc and the CAM's cross-entropy over
// [background, present classes].
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "losses/affinity_consistency_loss.h"
#include "losses/cam_target_loss.h"
#include "losses/segmentation_loss.h"

TEST_CASE("L_affc is the mean absolute gap to the detached propagation, over valid pixels",
          "[losses][selfguided]") {
  const torch::Tensor maps =
      torch::tensor({0.f, 1.f, 0.5f, 0.25f}).view({1, 1, 2, 2}).clone().requires_grad_();
  const torch::Tensor propagated =
      torch::tensor({0.5f, 0.5f, 0.5f, 0.5f}).view({1, 1, 2, 2}).requires_grad_();
  const torch::Tensor loss = wsss::affinityConsistencyLoss(maps, propagated, torch::Tensor());
  CHECK(loss.item<double>() == Approx((0.5 + 0.5 + 0 + 0.25) / 4));
  loss.backward();
  CHECK(maps.grad().defined());
  CHECK_FALSE(propagated.grad().defined());  // the target is a constant of the step

  const torch::Tensor valid = torch::tensor({true, true, false, false}).view({1, 1, 2, 2});
  CHECK(wsss::affinityConsistencyLoss(maps, propagated, valid).item<double>() == Approx(0.5));
  CHECK_THROWS_WITH(wsss::affinityConsistencyLoss(maps, propagated.view({1, 1, 4, 1}), valid),
                    Catch::Contains("L_affc"));
}

TEST_CASE("the CAM target is a cross-entropy over [bg, present classes] of the normalised CAM",
          "[losses][selfguided]") {
  // Two classes, only the first present; one pixel at Â = 0.8, one at 0.1.
  const torch::Tensor cam = torch::tensor({0.8f, 0.1f, 0.7f, 0.7f}).view({1, 2, 1, 2});
  const torch::Tensor labels = torch::tensor({{1.f, 0.f}});
  const torch::Tensor logits = wsss::camTargetLogits(cam * labels.view({1, 2, 1, 1}), labels);
  REQUIRE(logits.sizes() == torch::IntArrayRef({1, 3, 1, 2}));
  const torch::Tensor probabilities = torch::softmax(logits, 1);
  // Scores bg = 1 − 0.8, class 1 = 0.8, class 2 absent: the softmax is their normalisation.
  CHECK(probabilities[0][0][0][0].item<double>() == Approx(0.2));
  CHECK(probabilities[0][1][0][0].item<double>() == Approx(0.8));
  CHECK(probabilities[0][2][0][0].item<double>() == Approx(0.0).margin(1e-12));
  CHECK(probabilities[0][0][0][1].item<double>() == Approx(0.9));

  const torch::Tensor target = torch::tensor({1L, 0L}).view({1, 1, 2});
  const double expected = 0.5 * -std::log(0.8) + 0.5 * -std::log(0.9);  // fg and bg halves
  CHECK(wsss::segmentationLoss(logits, target, true).item<double>() == Approx(expected));
}
