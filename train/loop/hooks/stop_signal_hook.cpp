// SIGTERM or SIGINT: after the step in flight, save last.pt and end the run with 128 + the
// signal number (--resume continues it exactly).
#include "core/atomic_file.h"
#include "core/logging.h"
#include "train/checkpoints/checkpoint_files.h"
#include "train/distributed/process_group.h"
#include "train/loop/stop_signal.h"
#include "train/loop/training_hook.h"

namespace wsss {

namespace {

class StopSignalHook : public TrainingHook {
 public:
  std::string name() const override { return "stop on a signal"; }
  void afterStep(TrainingRun& run, const StepRecord& record) override {
    // Under torchrun every rank stops after the same step, whichever caught the signal, so
    // none waits in a collective for a rank that left.
    const int received =
        run.group ? static_cast<int>(run.group->maxOver(stop_.received())) : stop_.received();
    if (received == 0 || record.iteration >= run.config.train.iterations) return;
    // last.pt alone: an iter_*.pt here would be one out of turn, and would prune the oldest
    // periodic checkpoint kept.
    if (run.leads()) {
      writeFileAtomically(lastCheckpointPath(run.workDir), run.checkpointBytes());
      logWarning("stopped by signal " + std::to_string(received) + " at iteration " +
                 std::to_string(record.iteration) + "; saved " + lastCheckpointPath(run.workDir) +
                 " (continue with --resume)");
    }
    run.stopCode = 128 + received;
  }

 private:
  StopSignal stop_;  // catches the signals while the hook lives
};

}  // namespace

std::shared_ptr<TrainingHook> stopSignalHook() { return std::make_shared<StopSignalHook>(); }

}  // namespace wsss
