#include "models/batch_norm_freeze.h"

namespace wsss {

void freezeBatchNormParameters(torch::nn::Module& module) {
  for (auto& child : module.modules(/*include_self=*/false)) {
    if (auto* batchNorm = child->as<torch::nn::BatchNorm2dImpl>()) {
      batchNorm->weight.requires_grad_(false);
      batchNorm->bias.requires_grad_(false);
    }
  }
}

void setBatchNormEval(torch::nn::Module& module) {
  for (auto& child : module.modules(/*include_self=*/false)) {
    if (auto* batchNorm = child->as<torch::nn::BatchNorm2dImpl>()) batchNorm->eval();
  }
}

}  // namespace wsss
