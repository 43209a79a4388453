#pragma once
// The two residual blocks of torchvision's ResNets, with its submodule names (conv1, bn1, ...,
// downsample.0 / downsample.1) so that a torchvision state_dict loads key for key.
#include <torch/torch.h>

#include <cstdint>

#include "models/sync_batch_norm.h"

namespace wsss {

// Two 3x3 convolutions (ResNet-18/34). torchvision refuses dilation here; for the dilated
// output strides both convolutions take the block's dilation, as DeepLab's ResNets do.
class BasicBlockImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 1;
  // `downsample` is empty when the block keeps the shape of its input.
  BasicBlockImpl(int64_t inChannels, int64_t planes, int64_t stride, int64_t dilation,
                 torch::nn::Sequential downsample);
  torch::Tensor forward(torch::Tensor input);

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  SyncBatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

// 1x1 reduce, 3x3 (carrying the stride and dilation, the "v1.5" placement), 1x1 expand by 4
// (ResNet-50/101).
class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  BottleneckImpl(int64_t inChannels, int64_t planes, int64_t stride, int64_t dilation,
                 torch::nn::Sequential downsample);
  torch::Tensor forward(torch::Tensor input);

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  SyncBatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

}  // namespace wsss
