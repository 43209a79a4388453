#pragma once
// The refiner chain of the pseudo-label engine: what improves a source's class maps before the
// thresholds, in order. A refiner is one entry of pseudoLabelRefiners(); the config decides
// which entries are on.
#include <torch/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "train/pseudo/pseudo_label_sources.h"
#include "train/pseudo/pseudo_labels.h"

namespace wsss {

struct ExperimentConfig;

struct PseudoLabelRefiner {
  std::string name;  // in messages and the benchmark's rows, e.g. "refinement"
  // Refines targets.scores, the source's (or the previous refiner's) B x C x H x W maps in
  // [0, 1], in place, and may leave what it made on the way in `targets` (matting: the
  // trimaps); no gradient.
  std::function<void(const PseudoLabelInputs&, PseudoTargets&)> refine;
  // Takes this refiner out of a config (the benchmark's baseline).
  std::function<void(ExperimentConfig&)> switchOff;
  // The rule its maps are labelled by, in place of the source's; none: the source's.
  std::optional<LabelRule> rule;
};

// The refiners `settings` switch on, in the order they run: the image refinement
// (pseudo.refine), then matting (matting.enabled).
std::vector<PseudoLabelRefiner> pseudoLabelRefiners(const PseudoLabelSettings& settings);

}  // namespace wsss
