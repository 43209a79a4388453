#pragma once
// The convolution and normalisation building blocks every backbone and head is made of.
#include <torch/torch.h>

#include <cstdint>

namespace wsss {

// 3x3 convolution without bias (a norm follows); padding keeps the size at stride 1.
torch::nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride = 1, int64_t dilation = 1);
// 1x1 convolution without bias.
torch::nn::Conv2d conv1x1(int64_t in, int64_t out, int64_t stride = 1);

// BatchNorm suits pretrained ResNets and large batches; GroupNorm does not depend on the batch,
// so batch-of-one evaluation and small CPU batches behave the same as training.
enum class NormKind { Batch, Group };

// The number of GroupNorm groups for `channels`: the largest divisor not above 8, so that
// narrow layers still get groups of several channels.
int64_t groupNormGroups(int64_t channels);

// conv, norm, relu as a Sequential named "0", "1", "2" (the ReLU has no parameters).
torch::nn::Sequential convNormRelu(torch::nn::Conv2d conv, NormKind norm, int64_t channels);
// Appends conv, norm, relu to `sequence` (a Sequential cannot hold another Sequential).
void appendConvNormRelu(torch::nn::Sequential& sequence, torch::nn::Conv2d conv, NormKind norm,
                        int64_t channels);
// A norm layer of the given kind with weight 1 and bias 0.
torch::nn::AnyModule normLayer(NormKind norm, int64_t channels);

// Kaiming-normal (fan_out, relu) weights for every convolution below `module` and weight 1,
// bias 0 for every BatchNorm and GroupNorm, as torchvision initialises its ResNets.
void initConvAndNorm(torch::nn::Module& module);

}  // namespace wsss
