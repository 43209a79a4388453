// SIGTERM or SIGINT: after the step in flight, save last.pt and end the run with 128 + the
// signal number (--resume continues it exactly).
#include "core/logging.h"
#include "train/checkpoints/checkpoint_files.h"
#include "train/loop/stop_signal.h"
#include "train/loop/training_hook.h"

namespace wsss {

namespace {

class StopSignalHook : public TrainingHook {
 public:
  std::string name() const override { return "stop on a signal"; }
  void afterStep(TrainingRun& run, const StepRecord& record) override {
    if (stop_.received() == 0 || record.iteration >= run.config.train.iterations) return;
    run.saveCheckpoints();
    logWarning("stopped by signal " + std::to_string(stop_.received()) + " at iteration " +
               std::to_string(record.iteration) + "; saved " + lastCheckpointPath(run.workDir) +
               " (continue with --resume)");
    run.stopCode = 128 + stop_.received();
  }

 private:
  StopSignal stop_;  // catches the signals while the hook lives
};

}  // namespace

std::shared_ptr<TrainingHook> stopSignalHook() { return std::make_shared<StopSignalHook>(); }

}  // namespace wsss
