#pragma once
// Frozen BatchNorm: pretrained statistics are worth more than the ones a small, augmented WSSS
// batch would give, so the layers stay in eval mode and their affine parameters get no grads.
#include <torch/torch.h>

namespace wsss {

// requires_grad = false on the weight and bias of every BatchNorm2d under `module`.
void freezeBatchNormParameters(torch::nn::Module& module);
// Puts every BatchNorm2d under `module` in eval mode (running statistics used, not updated).
void setBatchNormEval(torch::nn::Module& module);

}  // namespace wsss
