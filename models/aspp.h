#pragma once
// Atrous spatial pyramid pooling (DeepLabV3): a 1x1 branch, one dilated 3x3 branch per rate and
// an image-pooling branch, concatenated and projected back to `channels`.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "models/conv_layers.h"

namespace wsss {

// conv(input) for a padded 3x3 convolution; when its dilation reaches past the map on both
// axes, every tap but the centre reads zero padding, so the same result (and gradient) comes
// from a 1x1 convolution with the centre weights at a ninth of the cost. Large rates on small
// training crops (rate 36 on a 20 x 20 map) hit this case.
torch::Tensor atrousConv(torch::nn::Conv2dImpl& conv, const torch::Tensor& input);

class AsppImpl : public torch::nn::Module {
 public:
  AsppImpl(int64_t inChannels, int64_t channels, const std::vector<int64_t>& rates, NormKind norm);
  torch::Tensor forward(const torch::Tensor& features);

 private:
  torch::nn::ModuleList branches{nullptr};  // the 1x1 branch, then one per rate
  torch::nn::Sequential pooling{nullptr};   // applied to the global mean of the features
  torch::nn::Sequential project{nullptr};
};
TORCH_MODULE(Aspp);

}  // namespace wsss
