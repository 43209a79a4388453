// Multi-scale and flip inference, and the eval: config section that switches it on.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include "core/config/config_loader.h"
#include "train/evaluation/eval_options.h"
#include "train/evaluation/multi_scale_inference.h"

using Catch::Contains;
using wsss::multiScaleProbabilities;

namespace {

torch::Tensor randomImages(int64_t count, int64_t height, int64_t width) {
  torch::manual_seed(7);
  return torch::randn({count, 3, height, width});
}

// Logits that are a fixed mix of the colour channels: 4 classes, same size as the input.
torch::Tensor mixChannels(const torch::Tensor& images) {
  const torch::Tensor weights =
      torch::tensor({1.0f, -2.0f, 0.5f, 0.0f, 1.0f, 1.0f, -1.0f, 0.3f, 2.0f, 0.7f, 0.1f, -0.4f})
          .view({4, 3});
  return torch::einsum("kc,nchw->nkhw", {weights, images});
}

}  // namespace

TEST_CASE("multi-scale inference: one scale without flip is the softmax of the scores",
          "[multiscale]") {
  const torch::Tensor images = randomImages(2, 11, 14);
  const torch::Tensor probabilities = multiScaleProbabilities(mixChannels, images, {1.0}, false);
  CHECK(probabilities.sizes() == torch::IntArrayRef({2, 4, 11, 14}));
  CHECK(torch::allclose(probabilities, torch::softmax(mixChannels(images), 1), 1e-6, 1e-7));
}

TEST_CASE("multi-scale inference: the output has the input's size whatever the network's stride",
          "[multiscale]") {
  // A stride-4 network: scores at a quarter of the size the network is given.
  const auto strided = [](const torch::Tensor& images) {
    return torch::avg_pool2d(mixChannels(images), 4, 4, 0, /*ceil_mode=*/true);
  };
  const torch::Tensor images = randomImages(3, 37, 50);
  const torch::Tensor probabilities =
      multiScaleProbabilities(strided, images, {0.5, 0.75, 1.0, 1.5}, true);
  CHECK(probabilities.sizes() == torch::IntArrayRef({3, 4, 37, 50}));
  CHECK(torch::allclose(probabilities.sum(1), torch::ones({3, 37, 50}), 1e-5, 1e-6));
}

TEST_CASE("multi-scale inference: flip is invisible to a mirror-symmetric network",
          "[multiscale]") {
  // Scores that only depend on each row's mean: the same for an image and its mirror.
  const auto symmetric = [](const torch::Tensor& images) {
    return mixChannels(images).mean(3, /*keepdim=*/true).expand({-1, -1, -1, images.size(3)});
  };
  const torch::Tensor images = randomImages(2, 9, 12);
  CHECK(torch::allclose(multiScaleProbabilities(symmetric, images, {1.0}, true),
                        multiScaleProbabilities(symmetric, images, {1.0}, false), 1e-6, 1e-7));
}

TEST_CASE("multi-scale inference: flip scores the mirror and mirrors it back", "[multiscale]") {
  // Class 1 wins on the right half of whatever the network sees; with flip, the mirrored view
  // puts it on the left half of the image, so every pixel gets one vote each way.
  const auto rightHalf = [](const torch::Tensor& images) {
    const int64_t width = images.size(3);
    torch::Tensor logits = torch::zeros({images.size(0), 2, images.size(2), width});
    logits.select(1, 1).narrow(2, width / 2, width - width / 2).fill_(100.0);
    logits.select(1, 0).narrow(2, 0, width / 2).fill_(100.0);
    return logits;
  };
  const torch::Tensor images = randomImages(1, 4, 6);
  const torch::Tensor plain = multiScaleProbabilities(rightHalf, images, {1.0}, false);
  const torch::Tensor flipped = multiScaleProbabilities(rightHalf, images, {1.0}, true);
  CHECK(plain[0][1][0][5].item<float>() == Approx(1.0f));
  CHECK(plain[0][1][0][0].item<float>() == Approx(0.0f).margin(1e-6));
  CHECK(torch::allclose(flipped, torch::full_like(flipped, 0.5), 1e-6, 1e-6));
}

TEST_CASE("multi-scale inference: scales are averaged with equal weight", "[multiscale]") {
  // A network whose logits say which size it was shown: class 1 gets log(h), class 0 log(10),
  // so the probability of class 1 is h / (h + 10) everywhere.
  const auto sizeTeller = [](const torch::Tensor& images) {
    const double height = static_cast<double>(images.size(2));
    torch::Tensor logits = torch::empty({images.size(0), 2, 1, 1});
    logits.select(1, 0).fill_(std::log(10.0));
    logits.select(1, 1).fill_(std::log(height));
    return logits;
  };
  const torch::Tensor images = randomImages(2, 20, 8);
  const torch::Tensor probabilities =
      multiScaleProbabilities(sizeTeller, images, {0.5, 1.0, 2.0}, true);
  // Seen at 10, 20 and 40 rows: (10/20 + 20/30 + 40/50) / 3.
  const double expected = (0.5 + 2.0 / 3 + 0.8) / 3;
  CHECK(torch::allclose(probabilities.select(1, 1), torch::full({2, 20, 8}, expected), 1e-6, 1e-6));
}

TEST_CASE("multi-scale inference: bad scales and bad networks are errors", "[multiscale]") {
  const torch::Tensor images = randomImages(2, 8, 8);
  CHECK_THROWS_WITH(multiScaleProbabilities(mixChannels, images, {}, false), Contains("no scales"));
  CHECK_THROWS_WITH(multiScaleProbabilities(mixChannels, images, {1.0, 0.0}, false),
                    Contains("> 0"));
  const auto dropsOne = [](const torch::Tensor& images) {
    return mixChannels(images).narrow(0, 0, 1);
  };
  CHECK_THROWS_WITH(multiScaleProbabilities(dropsOne, images, {1.0}, true),
                    Contains("4 x K x h x w"));
  CHECK_THROWS_WITH(multiScaleProbabilities(mixChannels, images[0], {1.0}, false),
                    Contains("N x 3 x H x W"));
}

TEST_CASE("eval options: defaults, YAML and the check on scales", "[multiscale][config]") {
  const wsss::EvalOptions defaults;
  CHECK(defaults.scales == std::vector<double>{1.0});
  CHECK_FALSE(defaults.flip);
  const auto options =
      wsss::readConfigText<wsss::EvalOptions>("scales: [0.5, 1, 1.5, 2]\nflip: true\n", "test");
  CHECK(options.scales == std::vector<double>{0.5, 1.0, 1.5, 2.0});
  CHECK(options.flip);
  CHECK_THROWS_WITH(wsss::readConfigText<wsss::EvalOptions>("scales: [1, 0]\n", "test"),
                    Contains("scales") && Contains("> 0"));
  CHECK_THROWS_WITH(wsss::readConfigText<wsss::EvalOptions>("scales: []\n", "test"),
                    Contains("scales"));
}
