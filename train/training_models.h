#pragma once
// The modules one training run owns: MainNet, SupportNet (unless support.mode is off) and RCM's
// prototype memory (when RCM runs with rcm.memory > 0), built alike by the trainer, the
// evaluator and the step benchmark, and saved together in every checkpoint.
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "losses/prototype_memory.h"
#include "models/network.h"
#include "models/support_net.h"
#include "train/checkpoints/checkpoint.h"

namespace wsss {

struct ExperimentConfig;

struct TrainingModels {
  WsssNetwork network{nullptr};
  std::unique_ptr<SupportNet> support;  // null when support.mode is off
  PrototypeMemory memory{nullptr};      // empty unless RCM keeps a memory

  // The checkpoint parts besides the network: "support" (ema only) and "prototype_memory".
  std::vector<CheckpointPart> checkpointParts();
  // After every optimiser step: SupportNet's EMA update.
  void afterOptimizerStep();
};

// Seeds nothing: the caller seeds before, so the initial weights follow config.seed. With
// `loadPretrained` false, model.pretrained is skipped (every weight comes from a checkpoint).
TrainingModels buildTrainingModels(const ExperimentConfig& config, int64_t numClasses,
                                   const torch::Device& device, bool loadPretrained);

}  // namespace wsss
