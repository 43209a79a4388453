#pragma once
// The one network: a backbone with three taps, the MainNet head (embedding, CAM, image logits)
// and the segmentation head. Submodule names are the checkpoint keys: "backbone" (torchvision's
// names below it for ResNets), "cam_head", "seg_head".
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "models/backbone.h"
#include "models/cam_head.h"
#include "models/d2cam_head.h"
#include "models/model_options.h"
#include "models/segmentation_head.h"

namespace wsss {

struct NetworkOutputs {
  torch::Tensor low, mid, high;  // backbone taps: stride 4, 8, and 8 or 16
  torch::Tensor embed;           // B x D x h x w: relu(conv1x1(high))
  torch::Tensor cam;             // B x C x h x w: conv1x1(embed), no bias, raw (no relu)
  torch::Tensor logits;          // B x C: global average pool of cam (D2CAM: s · top mean)
  torch::Tensor fgbg;            // B x C x h x w: D2CAM's P_c; undefined with the plain head
  torch::Tensor fgbgLogits;      // B x C: D2CAM's image logits of P_c's margins; idem
  torch::Tensor prototypes;      // C x D: D2CAM's unit class prototypes; undefined otherwise
  torch::Tensor seg;             // B x (C+1) x H/4 x W/4 logits; undefined if not asked
  torch::Tensor decoder;  // B x seg_channels x H/4 x W/4: the segmentation head's features
                          // before its classifier (E of METHODS §5); with seg only
};

class WsssNetworkImpl : public torch::nn::Module {
 public:
  // numClasses = C, the foreground classes; the segmentation head adds background as class 0.
  // Loads options.pretrained into the backbone when it is set.
  WsssNetworkImpl(const ModelOptions& options, int64_t numClasses);

  // image: B x 3 x H x W, normalised. H and W need not be multiples of the stride; the taps
  // are ceil-divided sizes as the strided convolutions give them.
  NetworkOutputs forward(const torch::Tensor& image, bool withSegmentation = true);

  // The two learning-rate groups; together they hold every parameter that requires grad, each
  // once (frozen BatchNorm parameters are in neither).
  std::vector<torch::Tensor> backboneParameters();  // trained at the base learning rate
  std::vector<torch::Tensor> headParameters();      // MainNet + segmentation head: 10x lr

  // With batch_norm: frozen the backbone's BatchNorm layers stay in eval mode whatever `on` is.
  void train(bool on = true) override;

  using torch::nn::Module::to;
  // Stores every 4-d parameter (the convolution weights) in `format`; channels-last lets
  // cuDNN pick its faster NHWC kernels when the input is channels-last too.
  void to(torch::MemoryFormat format);

  const ModelOptions& options() const { return options_; }
  int64_t numClasses() const { return numClasses_; }
  BackboneImpl& backbone() { return *backbone_; }
  CamHeadBase& camHead() { return *camHead_; }
  SegmentationHeadImpl& segmentationHead() { return *segHead_; }

 private:
  bool freezesBatchNorm() const;

  ModelOptions options_;
  int64_t numClasses_;
  std::shared_ptr<BackboneImpl> backbone_;
  std::shared_ptr<CamHeadBase> camHead_;
  SegmentationHead segHead_{nullptr};
};
TORCH_MODULE(WsssNetwork);

}  // namespace wsss
