#pragma once
// The pseudo-labels the training step makes for a batch, from a trained network in eval mode:
// what `wsss eval --target pseudo` scores and what `wsss pseudo` writes for every source but
// CCI's.
#include <torch/types.h>

#include "data/batch.h"
#include "train/pseudo/pseudo_labels.h"
#include "train/training_models.h"

namespace wsss {

struct ExperimentConfig;

// Throws wsss::Error when pseudo.source needs a model that `models` lacks (SupportNet's maps
// with support.mode off).
void checkPseudoSourceModels(const TrainingModels& models, const ExperimentConfig& config);

// The network's outputs on `batch` (on the device already; SupportNet's maps too when the
// source reads them), through the pseudo-label engine with the config's settings. No gradient.
PseudoTargets networkPseudoTargets(TrainingModels& models, const Batch& batch,
                                   const ExperimentConfig& config, const torch::Device& device);

}  // namespace wsss
