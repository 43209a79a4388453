// L_point: the disc each click labels, the per-click average, the crop box, and a disc that
// follows the click through the augmentation.
#include <catch2/catch.hpp>
#include <cmath>
#include <opencv2/core.hpp>
#include <random>
#include <torch/torch.h>

#include "data/augment.h"
#include "data/collate.h"
#include "losses/point_loss.h"

namespace {

// B x K x H x W logits that put `strength` on the class of each pixel of `labels` (B x H x W).
torch::Tensor confidentLogits(const torch::Tensor& labels, int64_t classes, double strength) {
  return torch::one_hot(labels, classes).permute({0, 3, 1, 2}).to(torch::kFloat32) * strength;
}

// CE of a pixel whose logits are `strength` on its class and 0 on the other K - 1.
double confidentCe(double strength, int64_t classes) {
  return std::log(1.0 + static_cast<double>(classes - 1) * std::exp(-strength));
}

}  // namespace

TEST_CASE("a click labels a disc of point.radius pixels, the centre first", "[losses][point]") {
  CHECK(wsss::discOffsets(0).size(0) == 1);
  const torch::Tensor disc = wsss::discOffsets(2);
  CHECK(disc.size(0) == 13);
  CHECK(disc[0].eq(0).all().item<bool>());
  CHECK((disc.select(1, 0).square() + disc.select(1, 1).square()).le(4).all().item<bool>());
  CHECK(wsss::discOffsets(1).size(0) == 5);
}

TEST_CASE("L_point averages each click's disc, then the clicks, so every click weighs the same",
          "[losses][point]") {
  // Class 1 everywhere on the left half, class 0 elsewhere, strength 5.
  torch::Tensor labels = torch::zeros({1, 12, 12}, torch::kInt64);
  labels.narrow(2, 0, 6).fill_(1);
  const torch::Tensor logits = confidentLogits(labels, 3, 5.0);
  // A corner click of class 1 (6 disc pixels inside the image, all right) and a middle click of
  // class 2 (13 pixels, all wrong: class 1 or 0 holds 5, class 2 holds 0).
  const torch::Tensor points = torch::tensor({0.f, 0.f, 0.f, 1.f, 1.f,  //
                                              0.f, 6.f, 9.f, 2.f, 1.f})
                                   .view({2, 5});
  const double right = confidentCe(5.0, 3);
  const double wrong = std::log(std::exp(5.0) + 2.0);  // -log softmax of a 0 against a 5
  const double loss = wsss::pointLoss(logits, points, 2).item<double>();
  CHECK(loss == Approx((right + wrong) / 2).epsilon(1e-5));

  SECTION("a disc's pixels outside the crop box are left out; a click with none is dropped") {
    torch::Tensor valid = torch::ones({1, 1, 12, 12}, torch::kBool);
    valid.narrow(3, 10, 2).fill_(false);  // the middle click's disc loses its right part
    CHECK(wsss::pointLoss(logits, points, 2, valid).item<double>() ==
          Approx((right + wrong) / 2).epsilon(1e-5));
    valid.narrow(3, 4, 8).fill_(false);  // now its whole disc
    CHECK(wsss::pointLoss(logits, points, 2, valid).item<double>() == Approx(right).epsilon(1e-5));
  }
  SECTION("a background click is class 0") {
    const torch::Tensor background = torch::tensor({0.f, 6.f, 9.f, 0.f, 1.f}).view({1, 5});
    CHECK(wsss::pointLoss(logits, background, 2).item<double>() ==
          Approx(confidentCe(5.0, 3)).epsilon(1e-5));
  }
  SECTION("no click: 0, still connected to the graph") {
    const torch::Tensor trainable = logits.clone().requires_grad_(true);
    const torch::Tensor none = wsss::pointLoss(trainable, torch::zeros({0, 5}), 2);
    CHECK(none.item<double>() == 0.0);
    none.backward();
    CHECK(trainable.grad().defined());
  }
  SECTION("the gradient reaches only the disc pixels") {
    const torch::Tensor trainable = logits.clone().requires_grad_(true);
    wsss::pointLoss(trainable, points, 1).backward();
    const torch::Tensor touched = trainable.grad().abs().sum(1).gt(0);
    CHECK(touched.sum().item<int64_t>() == 3 + 5);  // the corner's 3 pixels, the middle's 5
  }
}

TEST_CASE("the disc at a click follows flip, rescale and crop through the augmentation",
          "[losses][point][augment]") {
  // A 60 x 40 image with an object of class 2 in its left part and a click at the object's
  // centre; a disc anywhere else would land on background.
  wsss::Sample sample;
  sample.id = "disc";
  sample.image = cv::Mat(40, 60, CV_8UC3, cv::Scalar(0, 0, 255));
  sample.mask = cv::Mat(40, 60, CV_8UC1, cv::Scalar(0));
  const cv::Rect object(6, 10, 16, 20);
  sample.image(object).setTo(cv::Scalar(255, 0, 0));
  sample.mask(object).setTo(cv::Scalar(2));
  sample.points = {{13.0f, 19.0f, 1, 2}, {50.0f, 5.0f, 1, 0}};
  sample.labels = {0, 1};
  wsss::AugmentOptions options;
  options.cropSize = 48;
  options.scaleRange = {0.7, 1.4};
  options.colorJitter = false;
  int64_t clicks = 0;
  for (uint64_t seed = 0; seed < 24; ++seed) {
    const wsss::Augmenter augmenter(options, true);
    std::mt19937_64 rng(seed);
    std::vector<wsss::AugmentedSample> samples = {augmenter.apply(sample, rng)};
    const wsss::Batch batch = wsss::collate(std::move(samples), 2, true);
    if (!batch.points.defined() || batch.points.size(0) == 0) continue;
    clicks += batch.points.size(0);
    // Confident logits of the augmented mask (padding as background): a disc that missed the
    // object, or left the real image, would cost about 20 per pixel.
    const torch::Tensor truth = torch::where(batch.mask.eq(255), torch::zeros_like(batch.mask),
                                             batch.mask);
    const torch::Tensor logits = confidentLogits(truth, 3, 20.0);
    INFO("seed " << seed);
    CHECK(wsss::pointLoss(logits, batch.points, 2).item<double>() < 1e-6);
  }
  CHECK(clicks > 24);
}
