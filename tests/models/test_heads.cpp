#include <catch2/catch.hpp>

#include "models/aspp.h"
#include "models/cam_head.h"
#include "models/conv_layers.h"
#include "models/segmentation_head.h"

namespace {

using wsss::NormKind;

TEST_CASE("CAM head: logits are the spatial mean of a bias-free CAM", "[models][heads]") {
  wsss::CamHead head(16, 8, 3);
  CHECK_FALSE(head->named_parameters().contains("classifier.bias"));
  CHECK(head->named_parameters().contains("embed.bias"));
  const auto out = head->forward(torch::randn({2, 16, 5, 7}));
  CHECK(out.embed.sizes() == torch::IntArrayRef{2, 8, 5, 7});
  CHECK(out.embed.min().item<float>() >= 0.0f);
  CHECK(out.cam.sizes() == torch::IntArrayRef{2, 3, 5, 7});
  CHECK(out.cam.min().item<float>() < 0.0f);  // raw scores, no relu
  CHECK(torch::allclose(out.logits, out.cam.mean({2, 3})));
  // A zero input leaves embed = relu(embed.bias); with no classifier bias, nothing is added.
  auto parameters = head->named_parameters();
  const auto zero = head->forward(torch::zeros({1, 16, 1, 1}));
  const auto expected = torch::conv2d(torch::relu(parameters["embed.bias"]).view({1, 8, 1, 1}),
                                      parameters["classifier.weight"]);
  CHECK(torch::allclose(zero.cam, expected, 1e-5, 1e-6));
}

TEST_CASE("segmentation head gives C+1 logits at the low tap's size", "[models][heads]") {
  for (NormKind norm : {NormKind::Batch, NormKind::Group}) {
    wsss::SegmentationHeadOptions options;
    options.highChannels = 32;
    options.lowChannels = 8;
    options.channels = 16;
    options.rates = {2, 4};
    options.numClasses = 5;
    options.norm = norm;
    wsss::SegmentationHead head(options);
    bool hasBatchNorm = false;
    for (const auto& module : head->modules()) {
      hasBatchNorm = hasBatchNorm || module->as<torch::nn::BatchNorm2dImpl>() != nullptr;
    }
    CHECK(hasBatchNorm == (norm == NormKind::Batch));
    const auto logits = head->forward(torch::randn({2, 32, 6, 5}), torch::randn({2, 8, 11, 10}));
    CHECK(logits.sizes() == torch::IntArrayRef{2, 5, 11, 10});
  }
  CHECK(wsss::lowSkipChannels(256) == 48);
  CHECK(wsss::lowSkipChannels(64) == 12);
  CHECK(wsss::lowSkipChannels(16) == 8);
}

TEST_CASE("a dilation past the map gives the same result through the centre tap",
          "[models][heads]") {
  torch::manual_seed(5);
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(4, 3, 3).padding(6).dilation(6));
  for (const auto& size :
       {std::vector<int64_t>{5, 6}, std::vector<int64_t>{6, 6}, std::vector<int64_t>{7, 3}}) {
    const auto input = torch::randn({2, 4, size[0], size[1]}, torch::requires_grad());
    conv->zero_grad();
    const auto fast = wsss::atrousConv(*conv, input);
    fast.pow(2).sum().backward();
    const auto fastWeightGrad = conv->weight.grad().clone();
    const auto fastInputGrad = input.grad().clone();
    input.grad().zero_();
    conv->zero_grad();
    const auto full = conv->forward(input);
    full.pow(2).sum().backward();
    CHECK(torch::allclose(fast, full, 1e-5, 1e-6));
    CHECK(torch::allclose(fastWeightGrad, conv->weight.grad(), 1e-5, 1e-6));
    CHECK(torch::allclose(fastInputGrad, input.grad(), 1e-5, 1e-6));
  }
}

TEST_CASE("GroupNorm groups divide the channels", "[models][heads]") {
  CHECK(wsss::groupNormGroups(64) == 8);
  CHECK(wsss::groupNormGroups(12) == 6);
  CHECK(wsss::groupNormGroups(7) == 7);
  CHECK(wsss::groupNormGroups(11) == 1);
}

}  // namespace
