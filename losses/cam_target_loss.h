#pragma once
// The "alternate updates" of METHODS §3: the pseudo-labels made from the network's refined
// maps train the CAM itself, not only the segmentation head. The normalised CAM gives scores
// over [background, present classes], background = 1 − max_c Â_c, and a cross-entropy of their
// normalisation is taken against the pseudo-labels.
#include <torch/types.h>

namespace wsss {

class OptionTable;

// The `selfguided:` section.
struct CamTargetOptions {
  bool camTarget = false;      // train the CAM on the pseudo-labels too
  double camTargetWeight = 1;  // its weight in the total loss
  void describe(OptionTable& table);
};

// B x (C + 1) x H x W logits log s over [bg, classes] for the normalised CAM Â (B x C x H x W,
// present classes in [0, 1), absent ones 0): s_bg = 1 − max_c Â_c, s_c = Â_c, floored at 1e-5;
// classes absent from `labels` (B x C) far below every other logit, so the softmax over them is
// the scores' normalisation over [bg, present classes].
torch::Tensor camTargetLogits(const torch::Tensor& normalisedCam, const torch::Tensor& labels);

}  // namespace wsss
