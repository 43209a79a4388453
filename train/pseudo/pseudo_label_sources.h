#pragma once
// The pseudo-label sources: what makes the class maps the engine thresholds. A source is one
// entry of pseudoLabelSources(), chosen by `pseudo.source`.
#include <torch/types.h>

#include <functional>
#include <vector>

#include "train/pseudo/pseudo_labels.h"

namespace wsss {

// A source's maps: B x C x H x W class maps in [0, 1] at the image size, 0 for a class it does
// not assign, and optionally B x 1 x H x W background evidence.
struct SourceMaps {
  torch::Tensor scores;
  torch::Tensor background;
};

// How a source's maps become labels (marginLabels).
struct LabelRule {
  double highThreshold = 0.55;
  double lowThreshold = 0.35;
  double margin = 0;
};

struct PseudoLabelSource {
  PseudoSource id;
  bool readsSupport = false;  // its maps are SupportNet's (the step runs SupportNet for it)
  bool readsPoints = false;   // its maps come from the clicks and the decoder features
  // Its maps of the inputs; no gradient.
  std::function<SourceMaps(const PseudoLabelInputs&, const PseudoLabelSettings&)> maps;
  std::function<LabelRule(const PseudoLabelSettings&)> rule;
};

// Every source, one entry each.
std::vector<PseudoLabelSource> pseudoLabelSources();

// The entry of `id`.
PseudoLabelSource pseudoLabelSource(PseudoSource id);

}  // namespace wsss
