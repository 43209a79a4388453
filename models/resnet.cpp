#include "models/resnet.h"

#include "core/error.h"
#include "models/conv_layers.h"
#include "models/resnet_blocks.h"

namespace wsss {

ResNetDepth resnetDepth(const std::string& name) {
  if (name == "resnet18") return {false, {2, 2, 2, 2}};
  if (name == "resnet34") return {false, {3, 4, 6, 3}};
  if (name == "resnet50") return {true, {3, 4, 6, 3}};
  if (name == "resnet101") return {true, {3, 4, 23, 3}};
  WSSS_FAIL("unknown ResNet '", name, "'; known: resnet18, resnet34, resnet50, resnet101");
}

ResNetImpl::ResNetImpl(const std::string& name, int64_t outputStride)
    : depth_(resnetDepth(name)),
      outputStride_(outputStride),
      expansion_(depth_.bottleneck ? BottleneckImpl::kExpansion : BasicBlockImpl::kExpansion) {
  WSSS_CHECK(outputStride == 8 || outputStride == 16 || outputStride == 32,
             "ResNet output stride must be 8, 16 or 32, got ", outputStride);
  conv1 = register_module(
      "conv1",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false)));
  bn1 = register_module("bn1", SyncBatchNorm2d(64));
  layer1 = register_module("layer1", makeLayer(64, depth_.blocks[0], 1, false));
  layer2 = register_module("layer2", makeLayer(128, depth_.blocks[1], 2, false));
  layer3 = register_module("layer3", makeLayer(256, depth_.blocks[2], 2, outputStride <= 8));
  layer4 = register_module("layer4", makeLayer(512, depth_.blocks[3], 2, outputStride <= 16));
  initConvAndNorm(*this);
}

torch::nn::Sequential ResNetImpl::makeLayer(int64_t planes, int64_t blocks, int64_t stride,
                                            bool dilate) {
  // torchvision's rule: a dilated layer trades its stride for dilation, but its first block
  // still runs at the dilation of the layer before; only the later blocks use the new one.
  const int64_t previousDilation = dilation_;
  if (dilate) {
    dilation_ *= stride;
    stride = 1;
  }
  torch::nn::Sequential downsample{nullptr};
  if (stride != 1 || inChannels_ != planes * expansion_) {
    downsample = torch::nn::Sequential(conv1x1(inChannels_, planes * expansion_, stride),
                                       SyncBatchNorm2d(planes * expansion_));
  }
  torch::nn::Sequential layer;
  auto addBlock = [&](int64_t in, int64_t blockStride, int64_t dilation,
                      torch::nn::Sequential shortcut) {
    if (depth_.bottleneck) {
      layer->push_back(Bottleneck(in, planes, blockStride, dilation, shortcut));
    } else {
      layer->push_back(BasicBlock(in, planes, blockStride, dilation, shortcut));
    }
  };
  addBlock(inChannels_, stride, previousDilation, downsample);
  inChannels_ = planes * expansion_;
  for (int64_t block = 1; block < blocks; ++block) {
    addBlock(inChannels_, 1, dilation_, torch::nn::Sequential{nullptr});
  }
  return layer;
}

BackboneTaps ResNetImpl::forward(const torch::Tensor& image) {
  torch::Tensor x = torch::relu(bn1(conv1(image)));
  x = torch::max_pool2d(x, /*kernel_size=*/3, /*stride=*/2, /*padding=*/1);
  BackboneTaps taps;
  taps.low = layer1->forward(x);
  taps.mid = layer2->forward(taps.low);
  taps.high = layer4->forward(layer3->forward(taps.mid));
  return taps;
}

}  // namespace wsss
