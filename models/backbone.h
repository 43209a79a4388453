#pragma once
// What the network needs from a feature extractor: three taps at known strides and widths.
// A ResNet and the from-scratch net both provide it, so the heads never ask which one runs.
#include <torch/torch.h>

#include <cstdint>
#include <memory>

#include "models/model_options.h"

namespace wsss {

struct BackboneTaps {
  torch::Tensor low;   // stride 4: the segmentation decoder's skip input
  torch::Tensor mid;   // stride 8
  torch::Tensor high;  // stride 8 or 16: the CAM and ASPP input
};

class BackboneImpl : public torch::nn::Module {
 public:
  virtual BackboneTaps forward(const torch::Tensor& image) = 0;
  virtual int64_t lowChannels() const = 0;
  virtual int64_t midChannels() const = 0;
  virtual int64_t highChannels() const = 0;
  virtual int64_t highStride() const = 0;
  // BatchNorm is what `batch_norm: frozen` freezes; GroupNorm backbones have none.
  virtual bool usesBatchNorm() const = 0;
};

// The backbone named by options.backbone, randomly initialised (weights are loaded later).
std::shared_ptr<BackboneImpl> makeBackbone(const ModelOptions& options);

}  // namespace wsss
