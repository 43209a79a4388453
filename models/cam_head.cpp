#include "models/cam_head.h"

namespace wsss {

CamHeadImpl::CamHeadImpl(int64_t inChannels, int64_t embedDim, int64_t numClasses) {
  embed = register_module("embed",
                          torch::nn::Conv2d(torch::nn::Conv2dOptions(inChannels, embedDim, 1)));
  classifier = register_module(
      "classifier",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(embedDim, numClasses, 1).bias(false)));
  torch::NoGradGuard noGrad;
  torch::nn::init::kaiming_normal_(embed->weight, 0.0, torch::kFanOut, torch::kReLU);
  embed->bias.zero_();
  // Small, symmetric classifier weights keep the first logits near zero, where the
  // multilabel soft-margin loss has useful gradients for every class.
  torch::nn::init::xavier_uniform_(classifier->weight);
}

CamHeadOutputs CamHeadImpl::forward(const torch::Tensor& high) {
  CamHeadOutputs out;
  out.embed = torch::relu(embed(high));
  out.cam = classifier(out.embed);
  out.logits = out.cam.mean({2, 3});
  return out;
}

}  // namespace wsss
