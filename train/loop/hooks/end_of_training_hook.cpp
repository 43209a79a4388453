// The end of a run: where it finished, or, when a step or a hook threw, which checkpoint
// --resume continues from.
#include <filesystem>

#include "core/error.h"
#include "core/logging.h"
#include "train/checkpoints/checkpoint_files.h"
#include "train/loop/training_hook.h"

namespace wsss {

namespace {

class EndOfTrainingHook : public TrainingHook {
 public:
  std::string name() const override { return "end of training"; }
  void atEnd(TrainingRun& run, bool failed) override {
    if (!failed) {
      if (!run.stopCode) {
        logInfo("done: " + std::to_string(run.config.train.iterations) +
                " iterations; checkpoints in " + checkpointDir(run.workDir));
      }
      return;
    }
    const std::string last = lastCheckpointPath(run.workDir);
    if (!std::filesystem::exists(last)) {
      logError("training stopped before its first checkpoint; nothing to resume");
      return;
    }
    std::string iteration = "unreadable";
    try {
      iteration = std::to_string(readCheckpointProgress(last).iteration);
    } catch (const Error&) {
      // The original error matters more than this one.
    }
    logError("training stopped; the newest checkpoint is " + last + " (iteration " + iteration +
             "), --resume continues it");
  }
};

}  // namespace

std::shared_ptr<TrainingHook> endOfTrainingHook() { return std::make_shared<EndOfTrainingHook>(); }

}  // namespace wsss
