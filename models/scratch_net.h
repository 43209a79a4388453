#pragma once
// A small residual GroupNorm network trained from random weights: fast enough for CPU runs
// and used where no pretrained ResNet fits. Stride 4 after the stem, 8 after stage 2, and a
// dilated last stage that stays at stride 8 while widening the receptive field.
#include <torch/torch.h>

#include <cstdint>

#include "models/backbone.h"

namespace wsss {

// Two 3x3 convolutions with GroupNorm and a 1x1 projection when the shape changes.
class ScratchBlockImpl : public torch::nn::Module {
 public:
  ScratchBlockImpl(int64_t inChannels, int64_t outChannels, int64_t stride, int64_t dilation);
  torch::Tensor forward(const torch::Tensor& input);

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Sequential shortcut{nullptr};
};
TORCH_MODULE(ScratchBlock);

// 1x1 down to `middle`, a dilated 3x3 there, 1x1 up to `outChannels`: the wide, dilated last
// stage at a fraction of the cost of two full-width 3x3 convolutions.
class ScratchBottleneckImpl : public torch::nn::Module {
 public:
  ScratchBottleneckImpl(int64_t inChannels, int64_t middle, int64_t outChannels, int64_t dilation);
  torch::Tensor forward(const torch::Tensor& input);

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  torch::nn::Sequential shortcut{nullptr};
};
TORCH_MODULE(ScratchBottleneck);

class ScratchNetImpl : public BackboneImpl {
 public:
  // Stage widths are width, 2 x width and 4 x width.
  explicit ScratchNetImpl(int64_t width);

  // Taps: low = stage1 (stride 4), mid = stage2 (stride 8), high = stage3 (stride 8, two
  // bottleneck blocks at dilation 2 and 4).
  BackboneTaps forward(const torch::Tensor& image) override;
  int64_t lowChannels() const override { return width_; }
  int64_t midChannels() const override { return 2 * width_; }
  int64_t highChannels() const override { return 4 * width_; }
  int64_t highStride() const override { return 8; }
  bool usesBatchNorm() const override { return false; }

 private:
  int64_t width_;
  torch::nn::Sequential stem{nullptr}, stage1{nullptr}, stage2{nullptr}, stage3{nullptr};
};
TORCH_MODULE(ScratchNet);

}  // namespace wsss
