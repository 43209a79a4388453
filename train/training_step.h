#pragma once
// One step's losses: network outputs and the batch in, named loss terms out. The
// pseudo-labels are made here, on the fly, from the same forward pass (METHODS §0).
#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

#include "data/batch.h"
#include "models/network.h"

namespace wsss {

struct ExperimentConfig;

struct LossTerms {
  // Unweighted terms in a fixed order (cls, seg, ...); a term not active this step is absent.
  std::vector<std::pair<std::string, torch::Tensor>> terms;
  torch::Tensor total;  // Σ weight · term, float32 scalar
};

// `iteration` is the 0-based index of the step (it decides whether L_seg is warm).
LossTerms computeLosses(const NetworkOutputs& outputs, const Batch& batch,
                        const ExperimentConfig& config, int64_t iteration);

// Whether step `iteration` runs the segmentation head.
bool segmentationActive(const ExperimentConfig& config, int64_t iteration);

// The forward pass of step `iteration` (under bf16 autocast on CUDA when train.amp is on) and
// its losses: what the trainer and `wsss bench --what train` both run.
LossTerms forwardLosses(WsssNetwork& network, const Batch& batch, const ExperimentConfig& config,
                        int64_t iteration, const torch::Device& device);

// Each term's value, then ("total", ...), copied to the host in one transfer.
std::vector<std::pair<std::string, double>> lossValues(const LossTerms& losses);

}  // namespace wsss
