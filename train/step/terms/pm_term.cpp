// L_pm (METHODS §5): the segmentation head's cross-entropy on the pseudo-masks the step makes
// from the clicks (pseudo.source points), after point.warmup_iters, so that the decoder
// features first learn from the clicks alone.
#include "losses/segmentation_loss.h"
#include "train/experiment_config.h"
#include "train/step/loss_term.h"
#include "train/step/step_context.h"

namespace wsss {

LossTerm pointMaskTerm() {
  LossTerm term;
  term.name = "pm";
  term.section = "point";
  term.enabled = [](const ExperimentConfig& config) {
    return config.supervision == Supervision::Points && config.point.maskWeight > 0;
  };
  term.firstStep = [](const ExperimentConfig& config) {
    return config.point.warmupFor(config.train.iterations);
  };
  term.needs = [](const ExperimentConfig&) {
    LossTermNeeds needs;
    needs.segmentation = true;
    needs.pseudoLabels = true;
    needs.points = true;
    return needs;
  };
  term.weight = [](const ExperimentConfig& config) { return config.point.maskWeight; };
  term.compute = [](StepContext& step) {
    return segmentationLoss(step.segmentationLogits(), step.pseudoLabels().segLabel,
                            step.config.point.balanced);
  };
  return term;
}

}  // namespace wsss
