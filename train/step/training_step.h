#pragma once
// One step's losses: network outputs and the batch in, named loss terms out. The step iterates
// a list of loss terms (loss_term.h); the pseudo-labels are made here, on the fly, from the
// same forward pass (METHODS §0), once, when an active term asks.
#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

#include "data/batch.h"
#include "losses/batch_reduction.h"
#include "train/step/loss_term.h"
#include "train/training_models.h"

namespace wsss {

struct ExperimentConfig;

struct LossTerms {
  // Unweighted terms in the list's order; a term not active this step is absent.
  std::vector<std::pair<std::string, torch::Tensor>> terms;
  torch::Tensor total;  // Σ weight · term, float32 scalar
};

// Whether step `iteration` (0-based) runs the segmentation head: when an active term reads it.
bool segmentationActive(const ExperimentConfig& config, int64_t iteration,
                        const LossTermList& terms = standardLossTerms());

// The forward pass of step `iteration` (under bf16 autocast on CUDA when train.amp is on):
// MainNet, then every term of `terms` active at this step, in order; SupportNet's maps and
// the pseudo-labels are made when the first term that reads them asks. What the trainer and
// `wsss bench --what train` both run. Pushes RCM's prototypes into the memory. Under torchrun
// `batch` is this rank's share and `reduction` makes the terms that average over pixels
// average over the global batch.
LossTerms forwardLosses(TrainingModels& models, const Batch& batch, const ExperimentConfig& config,
                        int64_t iteration, const torch::Device& device,
                        const LossTermList& terms = standardLossTerms(),
                        const BatchReduction& reduction = {});

// Each term's value, then ("total", ...), copied to the host in one transfer.
std::vector<std::pair<std::string, double>> lossValues(const LossTerms& losses);

}  // namespace wsss
