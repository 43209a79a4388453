#pragma once
// The pseudo-label sources: what makes the class maps the engine thresholds. A source is one
// entry of pseudoLabelSources(), chosen by `pseudo.source`.
#include <torch/types.h>

#include <functional>
#include <vector>

#include "train/pseudo/pseudo_labels.h"

namespace wsss {

struct PseudoLabelSource {
  PseudoSource id;
  bool readsSupport = false;  // its maps are SupportNet's (the step runs SupportNet for it)
  // B x C x H x W in [0, 1] at the image size, present classes only; no gradient.
  std::function<torch::Tensor(const PseudoLabelInputs&)> maps;
};

// Every source, one entry each.
std::vector<PseudoLabelSource> pseudoLabelSources();

// The entry of `id`.
PseudoLabelSource pseudoLabelSource(PseudoSource id);

}  // namespace wsss
