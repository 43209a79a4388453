#pragma once
// The MainNet head: embed = relu(conv1x1(high)), cam = conv1x1(embed) without bias, and the
// image logits as the spatial mean of cam, so that the classification loss trains the CAM.
#include <torch/torch.h>

#include <cstdint>

namespace wsss {

struct CamHeadOutputs {
  torch::Tensor embed;       // B x D x h x w
  torch::Tensor cam;         // B x C x h x w, raw scores (no relu)
  torch::Tensor logits;      // B x C
  torch::Tensor fgbg;        // B x C x h x w in (0, 1): D2CAM's P_c; undefined for this head
  torch::Tensor fgbgLogits;  // B x C: D2CAM's image logits of its margins; undefined here
  torch::Tensor prototypes;  // C x D: D2CAM's unit class prototypes; undefined for this head
};

// What the network's CAM head is: this one, or D2CAM (d2cam_head.h), by model.cam_head.
class CamHeadBase : public torch::nn::Module {
 public:
  virtual CamHeadOutputs forward(const torch::Tensor& high) = 0;
};

class CamHeadImpl : public CamHeadBase {
 public:
  CamHeadImpl(int64_t inChannels, int64_t embedDim, int64_t numClasses);
  CamHeadOutputs forward(const torch::Tensor& high) override;

 private:
  torch::nn::Conv2d embed{nullptr};
  // No bias: a per-class constant would shift the whole map and carry no localisation.
  torch::nn::Conv2d classifier{nullptr};
};
TORCH_MODULE(CamHead);

}  // namespace wsss
