#include "models/support_net.h"

#include <algorithm>

#include "core/class_maps.h"
#include "core/config/option_table.h"
#include "core/error.h"

namespace wsss {

void SupportOptions::describe(OptionTable& table) {
  table.choice("mode", mode,
               "SupportNet: a momentum copy of MainNet (ema), MainNet itself under no-grad "
               "(shared), or none (off)");
  table.field("momentum", momentum, "m of the EMA update θ_sup ← m·θ_sup + (1−m)·θ_main")
      .atLeast(0)
      .atMost(1);
  table.field("scales", scales, "image scales of the support CAMs; must include 1")
      .length(1, 16)
      .positive()
      .rule([this] {
        const bool hasOne = std::find(scales.begin(), scales.end(), 1.0) != scales.end();
        return hasOne ? std::string()
                      : std::string(
                            "must include 1: RCM's prototypes come from the scale-1 "
                            "embedding");
      });
}

torch::Tensor scaleImage(const torch::Tensor& image, double scale) {
  if (scale == 1.0) return image;
  namespace F = torch::nn::functional;
  return F::interpolate(image, F::InterpolateFuncOptions()
                                   .size(std::vector<int64_t>{scaledSide(image.size(2), scale),
                                                              scaledSide(image.size(3), scale)})
                                   .mode(torch::kBilinear)
                                   .align_corners(true));
}

SupportNet::SupportNet(WsssNetwork main, const SupportOptions& options)
    : main_(std::move(main)), options_(options) {
  WSSS_CHECK(options_.enabled(), "SupportNet built with support.mode: off");
  if (options_.mode != SupportMode::Ema) return;
  ModelOptions model = main_->options();
  model.pretrained.clear();  // every weight is copied from MainNet below
  copy_ = WsssNetwork(model, main_->numClasses());
  for (auto& tensor : main_->parameters()) mainTensors_.push_back(tensor);
  for (auto& tensor : main_->buffers()) mainTensors_.push_back(tensor);
  for (auto& tensor : copy_->parameters()) {
    tensor.set_requires_grad(false);
    copyTensors_.push_back(tensor);
  }
  for (auto& tensor : copy_->buffers()) copyTensors_.push_back(tensor);
  WSSS_CHECK(mainTensors_.size() == copyTensors_.size(), "SupportNet has ", copyTensors_.size(),
             " tensors but MainNet ", mainTensors_.size());
  resetToMain();
  copy_->eval();
}

void SupportNet::resetToMain() {
  if (copy_.is_empty()) return;
  torch::NoGradGuard noGrad;
  for (size_t index = 0; index < copyTensors_.size(); ++index) {
    // A clone keeps MainNet's device and memory format (channels-last included).
    copyTensors_[index].set_data(mainTensors_[index].detach().clone());
  }
}

void SupportNet::update() {
  if (copy_.is_empty()) return;
  torch::NoGradGuard noGrad;
  const size_t parameters = copy_->parameters().size();
  std::vector<torch::Tensor> ema(copyTensors_.begin(), copyTensors_.begin() + parameters);
  std::vector<torch::Tensor> current(mainTensors_.begin(), mainTensors_.begin() + parameters);
  const double momentum = options_.momentum;
  // θ_sup ← m·θ_sup + (1−m)·θ_main, all tensors in one fused call on CUDA.
  torch::_foreach_mul_(ema, momentum);
  torch::_foreach_add_(ema, current, 1.0 - momentum);
  for (size_t index = parameters; index < copyTensors_.size(); ++index) {
    copyTensors_[index].copy_(mainTensors_[index]);
  }
}

SupportOutputs SupportNet::forward(const torch::Tensor& image) {
  torch::NoGradGuard noGrad;
  WsssNetwork network = copy_.is_empty() ? main_ : copy_;
  const bool wasTraining = network->is_training();
  // Eval mode, so a SupportNet pass never moves BatchNorm statistics.
  network->eval();
  SupportOutputs outputs;
  for (const double scale : options_.scales) {
    const NetworkOutputs scaled = network->forward(scaleImage(image, scale), false);
    outputs.cams.push_back(
        resizeMaps(torch::relu(scaled.cam.to(torch::kFloat32)), image.size(2), image.size(3)));
    if (scale == 1.0) outputs.embed = scaled.embed;
  }
  network->train(wasTraining);
  return outputs;
}

torch::nn::Module* SupportNet::ownWeights() { return copy_.is_empty() ? nullptr : copy_.get(); }

}  // namespace wsss
