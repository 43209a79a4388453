#include "models/segmentation_head.h"

#include <algorithm>

#include "core/class_maps.h"

namespace wsss {

int64_t lowSkipChannels(int64_t headChannels) {
  return std::max<int64_t>(8, headChannels * 48 / 256);
}

SegmentationHeadImpl::SegmentationHeadImpl(const SegmentationHeadOptions& options) {
  const int64_t channels = options.channels;
  const int64_t skip = lowSkipChannels(channels);
  aspp = register_module("aspp", Aspp(options.highChannels, channels, options.rates, options.norm));
  lowReduce = register_module("low_reduce",
                              convNormRelu(conv1x1(options.lowChannels, skip), options.norm, skip));
  fuse = register_module("fuse", torch::nn::Sequential());
  appendConvNormRelu(fuse, conv3x3(channels + skip, channels), options.norm, channels);
  appendConvNormRelu(fuse, conv3x3(channels, channels), options.norm, channels);
  classifier = register_module(
      "classifier", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, options.numClasses, 1)));
  initConvAndNorm(*this);
  torch::NoGradGuard noGrad;
  torch::nn::init::normal_(classifier->weight, 0.0, 0.01);
  classifier->bias.zero_();
}

torch::Tensor SegmentationHeadImpl::decode(const torch::Tensor& high, const torch::Tensor& low) {
  const torch::Tensor context = resizeMaps(aspp(high), low.size(2), low.size(3));
  torch::Tensor joined = torch::cat({context, lowReduce->forward(low)}, 1);
  return fuse->forward(joined);
}

torch::Tensor SegmentationHeadImpl::forward(const torch::Tensor& high, const torch::Tensor& low) {
  return classify(decode(high, low));
}

}  // namespace wsss
