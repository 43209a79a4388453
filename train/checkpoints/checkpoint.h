#pragma once
// One checkpoint file holds everything a run needs to continue exactly: the network, the
// optimiser (its state and schedule position), the iteration, the sampler state, the CPU and
// CUDA random generators, the best metric, the effective config and a format version. Files
// are written beside their target, flushed and renamed, so a checkpoint is whole or absent.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

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

// State kept beside the network under its own name, e.g. "support" (SupportNet's EMA weights)
// and "prototype_memory" (RCM's memory).
struct CheckpointPart {
  std::string name;
  torch::nn::Module* module = nullptr;
};

// The checkpoint file's bytes. `optimizer` may be null (a weights-only file).
std::string serializeCheckpoint(const torch::nn::Module& network,
                                const torch::optim::Optimizer* optimizer,
                                const TrainingProgress& progress,
                                const std::vector<CheckpointPart>& parts = {});
// Writes `path` atomically.
void saveCheckpoint(const std::string& path, const torch::nn::Module& network,
                    const torch::optim::Optimizer* optimizer, const TrainingProgress& progress,
                    const std::vector<CheckpointPart>& parts = {});

// One checkpoint opened once, for a caller that asks several things of it (resume reads the
// progress, asks which parts it holds and loads them).
class CheckpointFile {
 public:
  // Opens `path` with its tensors on `device`. Throws wsss::Error naming the file when it is
  // missing or cannot be read.
  CheckpointFile(const std::string& path, const torch::Device& device);
  ~CheckpointFile();
  const std::string& path() const { return path_; }
  TrainingProgress progress() const;
  bool hasPart(const std::string& name) const;
  // loadCheckpoint's work on the open file.
  TrainingProgress load(torch::nn::Module& network, torch::optim::Optimizer* optimizer,
                        bool restoreRandomState, const std::vector<CheckpointPart>& parts = {});

 private:
  std::string path_;
  std::unique_ptr<torch::serialize::InputArchive> archive_;
};

// Whether the checkpoint holds the named part.
bool checkpointHasPart(const std::string& path, const std::string& name);

// Reads only the progress and config of a checkpoint (no weights are touched).
TrainingProgress readCheckpointProgress(const std::string& path);

// Loads the weights into `network` (already on its device), the optimiser state and each of
// `parts` when given; restores the random generators when `restoreRandomState`. Throws
// wsss::Error naming the file for a missing, corrupt, wrong-format or mismatched checkpoint,
// or one that lacks a requested part.
TrainingProgress loadCheckpoint(const std::string& path, torch::nn::Module& network,
                                torch::optim::Optimizer* optimizer, bool restoreRandomState,
                                const std::vector<CheckpointPart>& parts = {});

}  // namespace wsss
