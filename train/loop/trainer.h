#pragma once
// The training loop: data -> forward -> pseudo-labels -> losses -> backward -> step, with the
// periodic work as hooks around each step (train/loop/training_hook.h): learning rate,
// SupportNet EMA, log, checkpoint, evaluate (keeping best.pt), stop on a signal, end.
// Everything a run writes goes under its work dir:
//   config.yaml, metrics.jsonl, checkpoints/{last,best,iter_NNNNNN}.pt
#include <memory>
#include <string>

#include "train/experiment_config.h"
#include "train/loop/training_hook.h"
#include "train/step/loss_term.h"

namespace wsss {

struct TrainingRequest {
  ExperimentConfig config;
  std::string workDir;
  std::string resumeFrom;                        // a checkpoint to continue from; "" = a fresh run
  LossTermList lossTerms = standardLossTerms();  // the step's terms
  TrainingHookList extraHooks;                   // run after standardHooks(), in order
  // The job's ranks under torchrun (docs/distributed.md): each trains on its share of every
  // global batch of train.batch_size with gradients summed over the ranks, rank 0 alone
  // writes. Null: one process.
  std::shared_ptr<DistributedGroup> group;
};

// Runs to train.iterations and returns 0, or 128 + the signal number when SIGTERM or SIGINT
// stopped it (after saving last.pt). Errors, a non-finite loss among them, are thrown as
// wsss::Error; the checkpoints already written stay as they were.
int runTraining(const TrainingRequest& request);

}  // namespace wsss
