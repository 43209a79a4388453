// The base losses against torch's own functions and hand-computed values.
#include <catch2/catch.hpp>
#include <cmath>

#include "losses/classification_loss.h"
#include "losses/segmentation_loss.h"

TEST_CASE("L_cls equals torch's multilabel soft-margin loss", "[losses][cls]") {
  torch::manual_seed(3);
  const torch::Tensor logits = torch::randn({4, 6}) * 5;
  const torch::Tensor labels = (torch::rand({4, 6}) > 0.5).to(torch::kFloat32);
  const torch::Tensor ours = wsss::multilabelSoftMarginLoss(logits, labels);
  const torch::Tensor theirs = torch::nn::functional::multilabel_soft_margin_loss(logits, labels);
  CHECK(ours.item<double>() == Approx(theirs.item<double>()).epsilon(1e-6));

  SECTION("stays finite for very large logits") {
    const torch::Tensor huge = torch::full({1, 2}, 1e4);
    const torch::Tensor value = wsss::multilabelSoftMarginLoss(huge, torch::tensor({{1.0f, 0.0f}}));
    CHECK(std::isfinite(value.item<double>()));
    CHECK(value.item<double>() == Approx(5e3));
  }
  SECTION("mismatched shapes are refused") {
    CHECK_THROWS_WITH(wsss::multilabelSoftMarginLoss(logits, labels.narrow(1, 0, 3)),
                      Catch::Contains("must both be B x C"));
  }
}

TEST_CASE("L_seg averages background and foreground apart and ignores 255", "[losses][seg]") {
  // One image of four pixels: background, class 1, class 2 and one ignored pixel.
  torch::manual_seed(5);
  const torch::Tensor logits = torch::randn({1, 3, 2, 2}, torch::requires_grad());
  const torch::Tensor target = torch::tensor({0, 1, 2, 255}, torch::kLong).view({1, 2, 2});
  const torch::Tensor perPixel =
      -torch::log_softmax(logits.detach(), 1).view({3, 4}).t();  // 4 pixels x 3 classes
  const double background = perPixel[0][0].item<double>();
  const double foreground = (perPixel[1][1].item<double>() + perPixel[2][2].item<double>()) / 2;

  const torch::Tensor balanced = wsss::segmentationLoss(logits, target, true);
  CHECK(balanced.item<double>() == Approx(0.5 * background + 0.5 * foreground).epsilon(1e-6));
  const torch::Tensor plain = wsss::segmentationLoss(logits, target, false);
  CHECK(plain.item<double>() == Approx((background + 2 * foreground) / 3).epsilon(1e-6));

  SECTION("an image with only ignored pixels gives zero and a gradient of zero") {
    const torch::Tensor ignored = torch::full({1, 2, 2}, 255, torch::kLong);
    const torch::Tensor loss = wsss::segmentationLoss(logits, ignored, true);
    CHECK(loss.item<double>() == 0.0);
    loss.backward();
    CHECK(logits.grad().abs().sum().item<double>() == 0.0);
  }
  SECTION("only background: the foreground half is zero") {
    const torch::Tensor allBackground = torch::zeros({1, 2, 2}, torch::kLong);
    const double expected = perPixel.select(1, 0).mean().item<double>() * 0.5;
    CHECK(wsss::segmentationLoss(logits, allBackground, true).item<double>() ==
          Approx(expected).epsilon(1e-6));
  }
  SECTION("shapes that disagree are refused") {
    CHECK_THROWS_WITH(wsss::segmentationLoss(logits, torch::zeros({1, 3, 2}, torch::kLong), true),
                      Catch::Contains("must be B x K x H x W"));
  }
}

TEST_CASE("the segmentation warm-up defaults to a fifth of training", "[losses][seg]") {
  wsss::SegmentationLossOptions options;
  CHECK(options.warmupFor(1000) == 200);
  options.warmupIters = 7;
  CHECK(options.warmupFor(1000) == 7);
}
