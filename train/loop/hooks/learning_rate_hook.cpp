// The learning rate of every step: warm-up then poly decay (train/lr_schedule.h); the heads'
// parameter group learns train.head_lr_scale times faster.
#include "train/loop/lr_schedule.h"
#include "train/loop/training_hook.h"

namespace wsss {

namespace {

class LearningRateHook : public TrainingHook {
 public:
  std::string name() const override { return "learning rate"; }
  void beforeStep(TrainingRun& run) override {
    const TrainOptions& train = run.config.train;
    const double factor = learningRateFactor(run.progress.iteration, train);
    const double scales[] = {1.0, train.headLrScale};
    auto& groups = run.optimizer->param_groups();
    for (size_t index = 0; index < groups.size(); ++index) {
      groups[index].options().set_lr(train.lr * scales[index] * factor);
    }
    run.learningRate = train.lr * factor;
  }
};

}  // namespace

std::shared_ptr<TrainingHook> learningRateHook() { return std::make_shared<LearningRateHook>(); }

}  // namespace wsss
