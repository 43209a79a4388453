#pragma once
// torchvision's ResNet-18/34/50/101 as a backbone: the same module tree and parameter and
// buffer names (conv1, bn1, layer1..layer4; no fc), the same initialisation, and its
// replace_stride_with_dilation for output strides 16 and 8.
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>

#include "models/backbone.h"
#include "models/sync_batch_norm.h"

namespace wsss {

struct ResNetDepth {
  bool bottleneck;                // Bottleneck blocks (50/101) or BasicBlocks (18/34)
  std::array<int64_t, 4> blocks;  // blocks in layer1..layer4
};

// "resnet18" ... "resnet101"; an unknown name lists the known ones.
ResNetDepth resnetDepth(const std::string& name);

class ResNetImpl : public BackboneImpl {
 public:
  // outputStride 32 is torchvision's undilated network; 16 dilates layer4, 8 layer3 and 4.
  ResNetImpl(const std::string& name, int64_t outputStride);

  // Taps: low = layer1 (stride 4), mid = layer2 (stride 8), high = layer4.
  BackboneTaps forward(const torch::Tensor& image) override;
  int64_t lowChannels() const override { return 64 * expansion_; }
  int64_t midChannels() const override { return 128 * expansion_; }
  int64_t highChannels() const override { return 512 * expansion_; }
  int64_t highStride() const override { return outputStride_; }
  bool usesBatchNorm() const override { return true; }

 private:
  torch::nn::Sequential makeLayer(int64_t planes, int64_t blocks, int64_t stride, bool dilate);

  ResNetDepth depth_;
  int64_t outputStride_;
  int64_t expansion_;
  int64_t inChannels_ = 64;  // running state while the layers are built, as in torchvision
  int64_t dilation_ = 1;
  torch::nn::Conv2d conv1{nullptr};
  SyncBatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
};
TORCH_MODULE(ResNet);

}  // namespace wsss
