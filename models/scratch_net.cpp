#include "models/scratch_net.h"

#include "core/error.h"
#include "models/conv_layers.h"

namespace wsss {

namespace {

torch::nn::GroupNorm groupNorm(int64_t channels) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groupNormGroups(channels), channels));
}

}  // namespace

ScratchBlockImpl::ScratchBlockImpl(int64_t inChannels, int64_t outChannels, int64_t stride,
                                   int64_t dilation) {
  conv1 = register_module("conv1", conv3x3(inChannels, outChannels, stride, dilation));
  norm1 = register_module("norm1", groupNorm(outChannels));
  conv2 = register_module("conv2", conv3x3(outChannels, outChannels, 1, dilation));
  norm2 = register_module("norm2", groupNorm(outChannels));
  if (stride != 1 || inChannels != outChannels) {
    shortcut = register_module(
        "shortcut",
        torch::nn::Sequential(conv1x1(inChannels, outChannels, stride), groupNorm(outChannels)));
  }
}

torch::Tensor ScratchBlockImpl::forward(const torch::Tensor& input) {
  torch::Tensor out = torch::relu(norm1(conv1(input)));
  out = norm2(conv2(out));
  return torch::relu(out + (shortcut ? shortcut->forward(input) : input));
}

ScratchBottleneckImpl::ScratchBottleneckImpl(int64_t inChannels, int64_t middle,
                                             int64_t outChannels, int64_t dilation) {
  conv1 = register_module("conv1", conv1x1(inChannels, middle));
  norm1 = register_module("norm1", groupNorm(middle));
  conv2 = register_module("conv2", conv3x3(middle, middle, 1, dilation));
  norm2 = register_module("norm2", groupNorm(middle));
  conv3 = register_module("conv3", conv1x1(middle, outChannels));
  norm3 = register_module("norm3", groupNorm(outChannels));
  if (inChannels != outChannels) {
    shortcut = register_module("shortcut", torch::nn::Sequential(conv1x1(inChannels, outChannels),
                                                                 groupNorm(outChannels)));
  }
}

torch::Tensor ScratchBottleneckImpl::forward(const torch::Tensor& input) {
  torch::Tensor out = torch::relu(norm1(conv1(input)));
  out = torch::relu(norm2(conv2(out)));
  out = norm3(conv3(out));
  return torch::relu(out + (shortcut ? shortcut->forward(input) : input));
}

ScratchNetImpl::ScratchNetImpl(int64_t width) : width_(width) {
  WSSS_CHECK(width >= 4, "scratch backbone width must be at least 4, got ", width);
  // A strided stem and a strided first block: full-resolution layers would cost most of a
  // CPU step and add little to CAMs read at stride 8.
  stem = register_module("stem", torch::nn::Sequential(conv3x3(3, width / 2, 2),
                                                       groupNorm(width / 2), torch::nn::ReLU()));
  stage1 = register_module("stage1", torch::nn::Sequential(ScratchBlock(width / 2, width, 2, 1)));
  stage2 = register_module("stage2", torch::nn::Sequential(ScratchBlock(width, 2 * width, 2, 1)));
  stage3 = register_module(
      "stage3", torch::nn::Sequential(ScratchBottleneck(2 * width, 2 * width, 4 * width, 2),
                                      ScratchBottleneck(4 * width, 2 * width, 4 * width, 4)));
  initConvAndNorm(*this);
}

BackboneTaps ScratchNetImpl::forward(const torch::Tensor& image) {
  BackboneTaps taps;
  taps.low = stage1->forward(stem->forward(image));
  taps.mid = stage2->forward(taps.low);
  taps.high = stage3->forward(taps.mid);
  return taps;
}

}  // namespace wsss
