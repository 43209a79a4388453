#include "models/conv_layers.h"

#include <torch/torch.h>

#include "models/sync_batch_norm.h"

namespace wsss {

torch::nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride, int64_t dilation) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3)
                               .stride(stride)
                               .padding(dilation)
                               .dilation(dilation)
                               .bias(false));
}

torch::nn::Conv2d conv1x1(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false));
}

int64_t groupNormGroups(int64_t channels) {
  for (int64_t groups = 8; groups > 1; --groups) {
    if (channels % groups == 0) return groups;
  }
  return 1;
}

torch::nn::AnyModule normLayer(NormKind norm, int64_t channels) {
  if (norm == NormKind::Batch) return torch::nn::AnyModule(SyncBatchNorm2d(channels));
  return torch::nn::AnyModule(
      torch::nn::GroupNorm(torch::nn::GroupNormOptions(groupNormGroups(channels), channels)));
}

void appendConvNormRelu(torch::nn::Sequential& sequence, torch::nn::Conv2d conv, NormKind norm,
                        int64_t channels) {
  sequence->push_back(conv);
  sequence->push_back(normLayer(norm, channels));
  sequence->push_back(torch::nn::ReLU());
}

torch::nn::Sequential convNormRelu(torch::nn::Conv2d conv, NormKind norm, int64_t channels) {
  torch::nn::Sequential block;
  appendConvNormRelu(block, conv, norm, channels);
  return block;
}

void initConvAndNorm(torch::nn::Module& module) {
  torch::NoGradGuard noGrad;
  for (auto& child : module.modules(/*include_self=*/false)) {
    if (auto* conv = child->as<torch::nn::Conv2dImpl>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
      if (conv->bias.defined()) conv->bias.zero_();
    } else if (auto* batchNorm = child->as<torch::nn::BatchNorm2dImpl>()) {
      batchNorm->weight.fill_(1.0);
      batchNorm->bias.zero_();
    } else if (auto* groupNorm = child->as<torch::nn::GroupNormImpl>()) {
      groupNorm->weight.fill_(1.0);
      groupNorm->bias.zero_();
    }
  }
}

}  // namespace wsss
