// L_aamr of METHODS §2 on hand-built maps: which pixels saliency and the CAM label together,
// with which weight, and the weighted cross-entropy over them.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "losses/aamr_loss.h"

namespace {

// One image of one row: scores B x C x 1 x W from per-pixel class values, saliency 1 x 1 x 1 x W.
torch::Tensor rowScores(const std::vector<std::vector<float>>& pixels) {
  const int64_t width = static_cast<int64_t>(pixels.size());
  const int64_t classes = static_cast<int64_t>(pixels.front().size());
  torch::Tensor scores = torch::zeros({1, classes, 1, width});
  for (int64_t x = 0; x < width; ++x) {
    for (int64_t c = 0; c < classes; ++c) scores[0][c][0][x] = pixels[x][c];
  }
  return scores;
}

torch::Tensor rowSaliency(const std::vector<float>& values) {
  return torch::tensor(values).view({1, 1, 1, -1});
}

std::vector<int64_t> labelsOf(const wsss::AamrTarget& target) {
  const torch::Tensor flat = target.label.flatten().contiguous();
  return {flat.data_ptr<int64_t>(), flat.data_ptr<int64_t>() + flat.numel()};
}

std::vector<float> weightsOf(const wsss::AamrTarget& target) {
  const torch::Tensor flat = target.weight.flatten().contiguous();
  return {flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel()};
}

}  // namespace

TEST_CASE("the AAMR target follows saliency and the CAM pixel by pixel", "[losses][aamr]") {
  // Two present classes, both peaking at 1 somewhere in the image.
  const torch::Tensor scores = rowScores({
      {1.0f, 0.0f},    // 0 salient, CAM class 1            → 1, weight 1
      {0.1f, 0.0f},    // 1 salient, CAM bg (0.9^4 > 0.1)   → 255
      {0.95f, 0.0f},   // 2 not salient, class 1 high       → 1, disagree
      {0.1f, 0.05f},   // 3 not salient, low, CAM bg        → 0, weight 1
      {0.6f, 0.0f},    // 4 not salient, low, CAM class 1   → 0, disagree
      {0.92f, 0.95f},  // 5 not salient, both classes high  → 255
      {0.0f, 1.0f},    // 6 saliency 0.2, class 2 high      → 2, disagree
      {0.0f, 0.7f},    // 7 saliency exactly at 0.5: salient, CAM class 2 → 2, weight 1
  });
  const torch::Tensor saliency = rowSaliency({1, 0.9f, 0, 0, 0.3f, 0, 0.2f, 0.5f});
  const torch::Tensor labels = torch::tensor({{1.f, 1.f}});
  wsss::AamrOptions options;
  options.disagreeWeight = 0.25;
  const wsss::AamrTarget target = wsss::aamrTarget(scores, saliency, labels, {}, options);
  REQUIRE(target.label.sizes() == torch::IntArrayRef({1, 1, 8}));
  REQUIRE(target.label.scalar_type() == torch::kLong);
  REQUIRE(target.weight.scalar_type() == torch::kFloat32);
  CHECK(labelsOf(target) == std::vector<int64_t>{1, 255, 1, 0, 0, 255, 2, 2});
  CHECK(weightsOf(target) == std::vector<float>{1, 0, 0.25f, 1, 0.25f, 0, 0.25f, 1});
}

TEST_CASE("AAMR: α sets the background score (1 − max Â)^α", "[losses][aamr]") {
  // max Â = 0.3: bg = 0.7^4 ≈ 0.24 loses to the class, bg = 0.7^1 wins.
  const torch::Tensor scores = rowScores({{0.3f}, {0.3f}, {1.0f}});
  const torch::Tensor saliency = rowSaliency({1, 0, 1});
  const torch::Tensor labels = torch::tensor({{1.f}});
  wsss::AamrOptions options;
  const wsss::AamrTarget four = wsss::aamrTarget(scores, saliency, labels, {}, options);
  CHECK(labelsOf(four) == std::vector<int64_t>{1, 0, 1});
  CHECK(weightsOf(four) == std::vector<float>{1, 0.5f, 1});  // the CAM called pixel 1 class 1
  options.alpha = 1;
  const wsss::AamrTarget one = wsss::aamrTarget(scores, saliency, labels, {}, options);
  CHECK(labelsOf(one) == std::vector<int64_t>{255, 0, 1});
  CHECK(weightsOf(one) == std::vector<float>{0, 1, 1});  // both say background at pixel 1
}

TEST_CASE("AAMR: pixels outside valid are ignored and do not set the class peaks",
          "[losses][aamr]") {
  // Pixel 0 peaks at 1 but lies outside; among the valid pixels class 1 peaks at pixel 1
  // (0.48), so pixel 1 is mined and pixel 2 (0.3 < 0.9 · 0.48) is not.
  const torch::Tensor scores = rowScores({{1.0f}, {0.48f}, {0.3f}});
  const torch::Tensor saliency = rowSaliency({1, 0, 0});
  const torch::Tensor labels = torch::tensor({{1.f}});
  const torch::Tensor valid = torch::tensor({false, true, true}).view({1, 1, 1, 3});
  const wsss::AamrTarget target = wsss::aamrTarget(scores, saliency, labels, valid, {});
  CHECK(labelsOf(target) == std::vector<int64_t>{255, 1, 0});
  CHECK(weightsOf(target) == std::vector<float>{0, 0.5f, 0.5f});

  // Without the mask pixel 0 sets the peak and pixel 1 falls back to background.
  const wsss::AamrTarget all = wsss::aamrTarget(scores, saliency, labels, {}, {});
  CHECK(labelsOf(all) == std::vector<int64_t>{1, 0, 0});
}

TEST_CASE("AAMR: absent classes and classes with no activation are never mined", "[losses][aamr]") {
  // Class 2 is absent from the labels; class 1 is present but 0 everywhere.
  const torch::Tensor scores = rowScores({{0.0f, 1.0f}, {0.0f, 0.0f}});
  const torch::Tensor saliency = rowSaliency({0, 0});
  const torch::Tensor labels = torch::tensor({{1.f, 0.f}});
  wsss::AamrOptions options;
  options.highActivation = 0;
  const wsss::AamrTarget target = wsss::aamrTarget(scores, saliency, labels, {}, options);
  CHECK(labelsOf(target) == std::vector<int64_t>{0, 0});
  CHECK(weightsOf(target) == std::vector<float>{1, 1});
}

TEST_CASE("AAMR: the images of a batch are mined against their own peaks", "[losses][aamr]") {
  // Image 0's class 1 peaks at 1, image 1's at 0.5: 0.5 is high only in image 1.
  torch::Tensor scores = torch::zeros({2, 1, 1, 2});
  scores[0][0][0][0] = 1.0f;
  scores[0][0][0][1] = 0.5f;
  scores[1][0][0][1] = 0.5f;
  const torch::Tensor saliency = torch::zeros({2, 1, 1, 2});
  const torch::Tensor labels = torch::ones({2, 1});
  const wsss::AamrTarget target = wsss::aamrTarget(scores, saliency, labels, {}, {});
  CHECK(labelsOf(target) == std::vector<int64_t>{1, 0, 0, 1});
}

TEST_CASE("AAMR: inputs of the wrong shape are errors naming them", "[losses][aamr]") {
  const torch::Tensor scores = torch::zeros({1, 2, 4, 4});
  const torch::Tensor labels = torch::ones({1, 2});
  CHECK_THROWS_WITH(wsss::aamrTarget(scores, torch::zeros({1, 1, 4, 3}), labels, {}, {}),
                    Catch::Contains("saliency") && Catch::Contains("[1, 1, 4, 3]"));
  CHECK_THROWS_WITH(wsss::aamrTarget(scores, torch::Tensor(), labels, {}, {}),
                    Catch::Contains("saliency"));
  CHECK_THROWS_WITH(
      wsss::aamrTarget(scores, torch::zeros({1, 1, 4, 4}), labels, torch::ones({1, 4, 4}), {}),
      Catch::Contains("valid"));
  CHECK_THROWS_WITH(
      wsss::aamrTarget(scores, torch::zeros({1, 1, 4, 4}), torch::ones({1, 3}), {}, {}),
      Catch::Contains("labels"));
}

TEST_CASE("L_aamr is the weighted mean cross-entropy over the labelled pixels", "[losses][aamr]") {
  // Three classes, three pixels: uniform logits (CE log 3) at weight 1, background at
  // probability ½ (CE log 2) at weight 0.5, and an ignored pixel whose logits are far off.
  torch::Tensor logits = torch::zeros({1, 3, 1, 3});
  logits[0][0][0][1] = std::log(2.0f);
  logits[0][2][0][2] = 50.0f;
  logits.requires_grad_();
  wsss::AamrTarget target;
  target.label = torch::tensor({1L, 0L, 255L}).view({1, 1, 3});
  target.weight = torch::tensor({1.0f, 0.5f, 0.7f}).view({1, 1, 3});
  const torch::Tensor loss = wsss::aamrLoss(logits, target);
  const double expected = (std::log(3.0) + 0.5 * std::log(2.0)) / 1.5;
  CHECK(loss.item<double>() == Approx(expected));
  loss.backward();
  // The ignored pixel takes no gradient, even with a weight handed in.
  CHECK(logits.grad().select(3, 2).abs().max().item<float>() == 0);
  CHECK(logits.grad().select(3, 0).abs().max().item<float>() > 0);

  // bf16 logits are computed in float32.
  CHECK(wsss::aamrLoss(logits.detach().to(torch::kBFloat16), target).item<double>() ==
        Approx(expected).epsilon(1e-2));
}

TEST_CASE("L_aamr of a batch with nothing labelled is 0 and keeps the graph", "[losses][aamr]") {
  const torch::Tensor logits = torch::randn({2, 3, 2, 2}).requires_grad_();
  wsss::AamrTarget target;
  target.label = torch::full({2, 2, 2}, 255, torch::kLong);
  target.weight = torch::zeros({2, 2, 2});
  const torch::Tensor loss = wsss::aamrLoss(logits, target);
  CHECK(loss.item<double>() == 0);
  REQUIRE(loss.requires_grad());
  loss.backward();
  REQUIRE(logits.grad().defined());
  CHECK(torch::isfinite(logits.grad()).all().item<bool>());
  CHECK(logits.grad().abs().max().item<float>() == 0);

  // Labelled pixels of weight 0 (disagree_weight 0) count as nothing labelled too.
  target.label.fill_(1);
  CHECK(wsss::aamrLoss(logits, target).item<double>() == 0);
}

TEST_CASE("AAMR target and loss together: the head is pulled toward the target", "[losses][aamr]") {
  const torch::Tensor scores = rowScores({{1.0f}, {0.05f}, {0.95f}});
  const torch::Tensor saliency = rowSaliency({1, 0, 0});
  const wsss::AamrTarget target =
      wsss::aamrTarget(scores, saliency, torch::tensor({{1.f}}), {}, {});
  REQUIRE(labelsOf(target) == std::vector<int64_t>{1, 0, 1});
  torch::Tensor logits = torch::zeros({1, 2, 1, 3}).requires_grad_();
  wsss::aamrLoss(logits, target).backward();
  // A step against the gradient raises each pixel's target logit.
  const torch::Tensor grad = logits.grad();
  CHECK(grad[0][1][0][0].item<float>() < 0);
  CHECK(grad[0][0][0][1].item<float>() < 0);
  CHECK(grad[0][1][0][2].item<float>() < 0);
  // The mined pixel (weight ½) is pulled half as hard as the sure one.
  CHECK(grad[0][1][0][2].item<float>() == Approx(0.5 * grad[0][1][0][0].item<float>()));
}
