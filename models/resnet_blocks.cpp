#include "models/resnet_blocks.h"

#include "models/conv_layers.h"

namespace wsss {

BasicBlockImpl::BasicBlockImpl(int64_t inChannels, int64_t planes, int64_t stride, int64_t dilation,
                               torch::nn::Sequential downsample) {
  conv1 = register_module("conv1", conv3x3(inChannels, planes, stride, dilation));
  bn1 = register_module("bn1", SyncBatchNorm2d(planes));
  conv2 = register_module("conv2", conv3x3(planes, planes, 1, dilation));
  bn2 = register_module("bn2", SyncBatchNorm2d(planes));
  if (downsample) this->downsample = register_module("downsample", downsample);
}

torch::Tensor BasicBlockImpl::forward(torch::Tensor input) {
  torch::Tensor out = torch::relu(bn1(conv1(input)));
  out = bn2(conv2(out));
  const torch::Tensor identity = downsample ? downsample->forward(input) : input;
  return torch::relu(out + identity);
}

BottleneckImpl::BottleneckImpl(int64_t inChannels, int64_t planes, int64_t stride, int64_t dilation,
                               torch::nn::Sequential downsample) {
  conv1 = register_module("conv1", conv1x1(inChannels, planes));
  bn1 = register_module("bn1", SyncBatchNorm2d(planes));
  conv2 = register_module("conv2", conv3x3(planes, planes, stride, dilation));
  bn2 = register_module("bn2", SyncBatchNorm2d(planes));
  conv3 = register_module("conv3", conv1x1(planes, planes * kExpansion));
  bn3 = register_module("bn3", SyncBatchNorm2d(planes * kExpansion));
  if (downsample) this->downsample = register_module("downsample", downsample);
}

torch::Tensor BottleneckImpl::forward(torch::Tensor input) {
  torch::Tensor out = torch::relu(bn1(conv1(input)));
  out = torch::relu(bn2(conv2(out)));
  out = bn3(conv3(out));
  const torch::Tensor identity = downsample ? downsample->forward(input) : input;
  return torch::relu(out + identity);
}

}  // namespace wsss
