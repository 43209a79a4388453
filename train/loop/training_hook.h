#pragma once
// The training loop's periodic work as hooks. The loop runs, for every step:
//   beforeStep of every hook, in order
//   the step (forward, losses, backward, optimiser step)
//   afterStep of every hook, in order
// and, once, atEnd of every hook: after the last step, after a hook stopped the run, or when a
// step or a hook threw (then with `failed`, and the error goes on after the hooks ran).
// standardHooks() lists the shipped hooks in their documented order (docs/ARCHITECTURE.md,
// "Adding a hook"); a request may add its own after them.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/data_loader.h"
#include "data/voc_dataset.h"
#include "train/checkpoints/checkpoint.h"
#include "train/evaluation/confusion_matrix.h"
#include "train/experiment_config.h"
#include "train/loop/progress_log.h"
#include "train/training_models.h"

namespace wsss {

class DistributedGroup;

// The scores of the latest evaluation on data.val_split.
struct EvaluationSnapshot {
  int64_t iteration = 0;
  SegmentationScores scores;
};

// The state of one run that hooks read and change.
struct TrainingRun {
  ExperimentConfig config;
  std::string workDir;
  torch::Device device{torch::kCPU};
  std::shared_ptr<const VocDataset> trainSet;
  std::shared_ptr<const VocDataset> valSet;
  TrainingModels models;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::unique_ptr<DataLoader> loader;
  TrainingProgress progress;  // iteration: steps done
  std::unique_ptr<ProgressLog> log;
  bool resumed = false;
  double learningRate = 0;      // the base rate of the step being run (for its record)
  std::optional<int> stopCode;  // set by a hook to end the run after this step
  std::optional<EvaluationSnapshot> lastEvaluation;  // set by the evaluation hook
  // The job's ranks under torchrun (train/distributed/); null for a single process.
  std::shared_ptr<DistributedGroup> group;

  // Whether this process writes the run's files: the single process, or rank 0.
  bool leads() const;

  // The checkpoint bytes of the run as it stands.
  std::string checkpointBytes();
  // last.pt, and iter_NNNNNN.pt with the newest train.keep_checkpoints kept, atomically; by
  // the leading process alone (every rank holds the same state).
  void saveCheckpoints();
};

class TrainingHook {
 public:
  virtual ~TrainingHook() = default;
  virtual std::string name() const = 0;
  // Before step run.progress.iteration + 1 (run.progress.iteration steps are done).
  virtual void beforeStep(TrainingRun& run) {}
  // After the optimiser step; run.progress.iteration already counts it.
  virtual void afterStep(TrainingRun& run, const StepRecord& record) {}
  // Once, at the end of the run; `failed` when a step or a hook threw.
  virtual void atEnd(TrainingRun& run, bool failed) {}
};

using TrainingHookList = std::vector<std::shared_ptr<TrainingHook>>;

// The shipped hooks in their order: learning rate, SupportNet EMA, progress log, checkpoints,
// evaluation with best.pt, TensorBoard, stop on a signal, end of training. Checkpoints come before
// evaluation, so a failing evaluation never costs trained steps.
TrainingHookList standardHooks();

}  // namespace wsss
