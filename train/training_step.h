#pragma once
// One step's losses: network outputs and the batch in, named loss terms out. The
// pseudo-labels are made here, on the fly, from the same forward pass (METHODS §0).
#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

#include "data/batch.h"
#include "train/training_models.h"

namespace wsss {

struct ExperimentConfig;

struct LossTerms {
  // Unweighted terms in a fixed order (cls, seg, ...); a term not active this step is absent.
  std::vector<std::pair<std::string, torch::Tensor>> terms;
  torch::Tensor total;  // Σ weight · term, float32 scalar
};

// Whether the segmentation head trains on the loader's masks (supervision full: the ground
// truth; pseudo_dir: the PNGs of pseudo.dir) rather than on pseudo-labels made in the step.
bool trainsOnMasks(const ExperimentConfig& config);

// Whether step `iteration` (0-based) runs the segmentation head: after seg.warmup_iters (from
// the start on masks), while the weight of the term that trains it (seg.weight, or aamr.weight
// with aamr on) is positive.
bool segmentationActive(const ExperimentConfig& config, int64_t iteration);

// The forward pass of step `iteration` (under bf16 autocast on CUDA when train.amp is on):
// MainNet, SupportNet when a part of the step reads it, the pseudo-labels, and every loss term
// the config switches on, in the order cls, rcm, mam, affc, seg (or aamr in its place, with
// aamr.enabled), cam_target. What the trainer and `wsss bench --what train` both run. Pushes
// RCM's prototypes into the memory.
LossTerms forwardLosses(TrainingModels& models, const Batch& batch, const ExperimentConfig& config,
                        int64_t iteration, const torch::Device& device);

// Each term's value, then ("total", ...), copied to the host in one transfer.
std::vector<std::pair<std::string, double>> lossValues(const LossTerms& losses);

}  // namespace wsss
