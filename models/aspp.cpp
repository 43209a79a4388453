#include "models/aspp.h"

namespace wsss {

torch::Tensor atrousConv(torch::nn::Conv2dImpl& conv, const torch::Tensor& input) {
  const auto& kernel = conv.options.kernel_size();
  const auto& dilation = conv.options.dilation();
  const bool onlyCentre = kernel->at(0) == 3 && kernel->at(1) == 3 &&
                          dilation->at(0) >= input.size(2) && dilation->at(1) >= input.size(3) &&
                          conv.options.stride()->at(0) == 1 && conv.options.stride()->at(1) == 1;
  if (!onlyCentre) return conv.forward(input);
  const torch::Tensor centre = conv.weight.narrow(2, 1, 1).narrow(3, 1, 1);
  return torch::conv2d(input, centre, conv.bias);
}

AsppImpl::AsppImpl(int64_t inChannels, int64_t channels, const std::vector<int64_t>& rates,
                   NormKind norm) {
  branches = register_module("branches", torch::nn::ModuleList());
  branches->push_back(convNormRelu(conv1x1(inChannels, channels), norm, channels));
  for (int64_t rate : rates) {
    branches->push_back(convNormRelu(conv3x3(inChannels, channels, 1, rate), norm, channels));
  }
  pooling = register_module("pooling", convNormRelu(conv1x1(inChannels, channels), norm, channels));
  const auto concatenated = static_cast<int64_t>(branches->size() + 1) * channels;
  project =
      register_module("project", convNormRelu(conv1x1(concatenated, channels), norm, channels));
}

torch::Tensor AsppImpl::forward(const torch::Tensor& features) {
  std::vector<torch::Tensor> outputs;
  for (const auto& branch : *branches) {
    // conv, norm, relu, with the convolution run through atrousConv().
    auto& sequence = *branch->as<torch::nn::SequentialImpl>();
    torch::Tensor out = atrousConv(*sequence.ptr<torch::nn::Conv2dImpl>(0), features);
    for (auto layer = sequence.begin() + 1; layer != sequence.end(); ++layer) {
      out = layer->forward(out);
    }
    outputs.push_back(out);
  }
  const torch::Tensor pooled = pooling->forward(features.mean({2, 3}, /*keepdim=*/true));
  outputs.push_back(pooled.expand({-1, -1, features.size(2), features.size(3)}));
  return project->forward(torch::cat(outputs, 1));
}

}  // namespace wsss
