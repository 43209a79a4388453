#include "models/network.h"

#include "core/error.h"
#include "models/batch_norm_freeze.h"
#include "models/weight_import.h"

namespace wsss {

namespace {

std::vector<torch::Tensor> trainable(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> result;
  for (const auto& parameter : parameters) {
    if (parameter.requires_grad()) result.push_back(parameter);
  }
  return result;
}

}  // namespace

WsssNetworkImpl::WsssNetworkImpl(const ModelOptions& options, int64_t numClasses)
    : options_(options), numClasses_(numClasses) {
  WSSS_CHECK(numClasses >= 1, "the network needs at least one foreground class, got ", numClasses);
  WSSS_CHECK(options.pretrained.empty() || options.isResNet(), "model.pretrained is set (",
             options.pretrained,
             ") but model.backbone is scratch, which has no pretrained weights");
  backbone_ = register_module("backbone", makeBackbone(options));
  if (options.camHead == CamHeadKind::D2cam) {
    camHead_ = register_module(
        "cam_head", std::make_shared<D2camHeadImpl>(backbone_->highChannels(), options.embedDim,
                                                    numClasses, options.d2cam));
  } else {
    camHead_ = register_module("cam_head", std::make_shared<CamHeadImpl>(
                                               backbone_->highChannels(), options.embedDim,
                                               numClasses));
  }
  SegmentationHeadOptions seg;
  seg.highChannels = backbone_->highChannels();
  seg.lowChannels = backbone_->lowChannels();
  seg.channels = options.segChannels;
  seg.rates = options.effectiveAsppRates();
  seg.numClasses = numClasses + 1;
  seg.norm = backbone_->usesBatchNorm() ? NormKind::Batch : NormKind::Group;
  segHead_ = register_module("seg_head", SegmentationHead(seg));

  if (!options.pretrained.empty()) loadTorchvisionWeights(*backbone_, options.pretrained);
  if (freezesBatchNorm()) {
    freezeBatchNormParameters(*backbone_);
    setBatchNormEval(*backbone_);
  }
}

bool WsssNetworkImpl::freezesBatchNorm() const {
  return options_.batchNorm == BatchNormMode::Frozen && backbone_->usesBatchNorm();
}

NetworkOutputs WsssNetworkImpl::forward(const torch::Tensor& image, bool withSegmentation) {
  WSSS_CHECK(image.dim() == 4 && image.size(1) == 3,
             "the network expects images as B x 3 x H x W, got ", image.sizes());
  BackboneTaps taps = backbone_->forward(image);
  CamHeadOutputs cam = camHead_->forward(taps.high);
  NetworkOutputs out;
  out.low = taps.low;
  out.mid = taps.mid;
  out.high = taps.high;
  out.embed = cam.embed;
  out.cam = cam.cam;
  out.logits = cam.logits;
  out.fgbg = cam.fgbg;
  out.fgbgLogits = cam.fgbgLogits;
  out.prototypes = cam.prototypes;
  if (withSegmentation) {
    out.decoder = segHead_->decode(taps.high, taps.low);
    out.seg = segHead_->classify(out.decoder);
  }
  return out;
}

std::vector<torch::Tensor> WsssNetworkImpl::backboneParameters() {
  return trainable(backbone_->parameters());
}

std::vector<torch::Tensor> WsssNetworkImpl::headParameters() {
  std::vector<torch::Tensor> heads = trainable(camHead_->parameters());
  for (auto& parameter : trainable(segHead_->parameters())) heads.push_back(parameter);
  return heads;
}

void WsssNetworkImpl::to(torch::MemoryFormat format) {
  torch::NoGradGuard noGrad;
  for (auto& parameter : parameters()) {
    if (parameter.dim() == 4) parameter.set_data(parameter.data().contiguous(format));
  }
}

void WsssNetworkImpl::train(bool on) {
  torch::nn::Module::train(on);
  if (freezesBatchNorm()) setBatchNormEval(*backbone_);
}

}  // namespace wsss
