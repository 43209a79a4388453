#pragma once
// The `train:` section: the loop, the optimiser and its schedule, precision, and what is
// logged, evaluated and checkpointed when.
#include <cstdint>
#include <string>

#include "core/config/choice.h"
#include "train/distributed/distributed_options.h"

namespace wsss {

class OptionTable;

enum class OptimizerKind { Sgd, Adamw };
inline const ChoiceNames<OptimizerKind>& choiceNames(OptimizerKind) {
  static const ChoiceNames<OptimizerKind> names = {{OptimizerKind::Sgd, "sgd"},
                                                   {OptimizerKind::Adamw, "adamw"}};
  return names;
}

struct TrainOptions {
  int64_t iterations = 20000;  // optimiser steps; training is iteration-based
  int64_t batchSize = 8;
  OptimizerKind optimizer = OptimizerKind::Sgd;
  double lr = 0.01;           // base learning rate (backbone)
  double headLrScale = 10.0;  // heads learn this much faster than the backbone
  double momentum = 0.9;      // SGD momentum
  double weightDecay = 1e-4;
  double polyPower = 0.9;      // lr = base · (1 - t / T)^power after the warm-up
  int64_t warmupIters = 0;     // linear warm-up steps
  double warmupFactor = 0.1;   // lr factor at step 0 of the warm-up
  bool amp = true;             // bf16 autocast on CUDA (ignored on CPU)
  bool channelsLast = true;    // channels_last memory format on CUDA
  int64_t threads = 0;         // torch intra-op threads on CPU; 0 = torch's default
  bool deterministic = false;  // deterministic algorithms (CUDA: exact resume, slower)
  int64_t logInterval = 20;    // progress line every N steps (metrics.jsonl gets every step)
  int64_t evalInterval = 0;    // evaluate on data.val_split every N steps; 0 = only at the end
  int64_t checkpointInterval = 1000;  // last.pt and iter_NNNNNN.pt every N steps
  int64_t keepCheckpoints = 3;        // newest iter_NNNNNN.pt files kept
  bool tensorboard = true;            // event files under <work-dir>/tensorboard/
  int64_t tensorboardImages = 4;      // val images shown with their overlays at evaluations
  DistributedOptions distributed;     // under torchrun (docs/distributed.md)
  void describe(OptionTable& table);
};

}  // namespace wsss
