#pragma once
// SupportNet (METHODS §1): the network that supplies RCM's region labels and prototypes, MAM's
// targets and, optionally, the pseudo-labels. It never receives gradients and runs in eval mode.
//   ema:    a momentum copy of MainNet, θ_sup ← m·θ_sup + (1−m)·θ_main after every optimiser
//           step (buffers copied); its weights are part of every checkpoint.
//   shared: MainNet itself under no-grad (the weight-sharing ablation, half the memory).
//   off:    no SupportNet.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/config/choice.h"
#include "models/network.h"

namespace wsss {

class OptionTable;

enum class SupportMode { Ema, Shared, Off };
inline const ChoiceNames<SupportMode>& choiceNames(SupportMode) {
  static const ChoiceNames<SupportMode> names = {
      {SupportMode::Ema, "ema"}, {SupportMode::Shared, "shared"}, {SupportMode::Off, "off"}};
  return names;
}

struct SupportOptions {
  SupportMode mode = SupportMode::Off;
  double momentum = 0.996;                            // m of the EMA update
  std::vector<double> scales = {0.5, 1.0, 1.5, 2.0};  // image scales of the support CAMs
  void describe(OptionTable& table);
  bool enabled() const { return mode != SupportMode::Off; }
};

struct SupportOutputs {
  // One per support scale, in the order of SupportOptions::scales: relu(CAM) bilinearly
  // resized to the input image size, float32, B x C x H x W. Not label-masked.
  std::vector<torch::Tensor> cams;
  torch::Tensor embed;  // the scale-1 embedding, B x D x h x w (as the network gives it)
};

class SupportNet {
 public:
  // `main` must be fully built (weights loaded, on its device, in its memory format). For ema
  // the copy starts equal to it.
  SupportNet(WsssNetwork main, const SupportOptions& options);

  // The EMA step after an optimiser step; nothing to do for shared.
  void update();
  // Makes the copy equal to MainNet again (a checkpoint without SupportNet weights).
  void resetToMain();

  // Support CAMs of `image` (B x 3 x H x W) at every support scale, without gradient.
  SupportOutputs forward(const torch::Tensor& image);

  // The module whose weights a checkpoint stores: the EMA copy, or null for shared.
  torch::nn::Module* ownWeights();
  const SupportOptions& options() const { return options_; }

 private:
  WsssNetwork main_;
  WsssNetwork copy_{nullptr};  // ema only
  SupportOptions options_;
  std::vector<torch::Tensor> mainTensors_, copyTensors_;  // parameters then buffers, paired
};

// B x 3 x H x W images scaled by `scale` (bilinear, align_corners = true, as the released code
// does); at least one pixel each way.
torch::Tensor scaleImage(const torch::Tensor& image, double scale);

}  // namespace wsss
