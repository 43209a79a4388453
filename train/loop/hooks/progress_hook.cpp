// Every step into metrics.jsonl, and a progress line every train.log_interval steps (and at the
// first and the last).
#include "core/logging.h"
#include "train/loop/training_hook.h"

namespace wsss {

namespace {

class ProgressHook : public TrainingHook {
 public:
  std::string name() const override { return "progress log"; }
  void afterStep(TrainingRun& run, const StepRecord& record) override {
    if (!run.leads()) return;
    run.log->recordStep(record);
    const int64_t total = run.config.train.iterations;
    if (record.iteration % run.config.train.logInterval == 0 || record.iteration == total ||
        record.iteration == 1) {
      logInfo(run.log->progressLine(record));
    }
  }
};

}  // namespace

std::shared_ptr<TrainingHook> progressHook() { return std::make_shared<ProgressHook>(); }

}  // namespace wsss
