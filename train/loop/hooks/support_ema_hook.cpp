// SupportNet's momentum update after every optimiser step (METHODS §1; support.mode ema).
#include "train/loop/training_hook.h"

namespace wsss {

namespace {

class SupportEmaHook : public TrainingHook {
 public:
  std::string name() const override { return "SupportNet EMA"; }
  void afterStep(TrainingRun& run, const StepRecord&) override { run.models.afterOptimizerStep(); }
};

}  // namespace

std::shared_ptr<TrainingHook> supportEmaHook() { return std::make_shared<SupportEmaHook>(); }

}  // namespace wsss
