// last.pt and iter_NNNNNN.pt every train.checkpoint_interval steps and at the end.
#include "train/loop/training_hook.h"

namespace wsss {

namespace {

class CheckpointHook : public TrainingHook {
 public:
  std::string name() const override { return "checkpoints"; }
  void afterStep(TrainingRun& run, const StepRecord& record) override {
    if (record.iteration % run.config.train.checkpointInterval == 0 ||
        record.iteration == run.config.train.iterations) {
      run.saveCheckpoints();
    }
  }
};

}  // namespace

std::shared_ptr<TrainingHook> checkpointHook() { return std::make_shared<CheckpointHook>(); }

}  // namespace wsss
