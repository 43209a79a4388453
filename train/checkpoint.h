#pragma once
// One checkpoint file holds everything a run needs to continue exactly: the network, the
// optimiser (its state and schedule position), the iteration, the sampler state, the CPU and
// CUDA random generators, the best metric, the effective config and a format version. Files
// are written beside their target, flushed and renamed, so a checkpoint is whole or absent.
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "data/sampler.h"

namespace wsss {

// Bumped whenever the layout below changes; older files are refused with a clear error.
constexpr int64_t kCheckpointFormat = 1;

struct TrainingProgress {
  int64_t iteration = 0;   // optimiser steps completed
  SamplerState sampler;    // the training loader just past the last batch used
  double bestMetric = -1;  // best val mIoU (percent) so far; -1 = none yet
  int64_t bestIteration = -1;
  std::string configYaml;  // the effective config of the run
};

// The checkpoint file's bytes. `optimizer` may be null (a weights-only file).
std::string serializeCheckpoint(const torch::nn::Module& network,
                                const torch::optim::Optimizer* optimizer,
                                const TrainingProgress& progress);
// Writes `path` atomically.
void saveCheckpoint(const std::string& path, const torch::nn::Module& network,
                    const torch::optim::Optimizer* optimizer, const TrainingProgress& progress);

// Reads only the progress and config of a checkpoint (no weights are touched).
TrainingProgress readCheckpointProgress(const std::string& path);

// Loads the weights into `network` (already on its device) and, when given, the optimiser
// state; restores the random generators when `restoreRandomState`. Throws wsss::Error naming
// the file for a missing, corrupt, wrong-format or mismatched checkpoint.
TrainingProgress loadCheckpoint(const std::string& path, torch::nn::Module& network,
                                torch::optim::Optimizer* optimizer, bool restoreRandomState);

}  // namespace wsss
