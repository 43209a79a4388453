// L_point (METHODS §5): the segmentation head's cross-entropy at the clicked discs, each click
// weighing the same.
#include "core/error.h"
#include "losses/point_loss.h"
#include "train/experiment_config.h"
#include "train/step/loss_term.h"
#include "train/step/step_context.h"

namespace wsss {

// The base term of point supervision, so the benchmark's baseline of a points run keeps it.
LossTerm pointTerm() {
  LossTerm term;
  term.name = "point";
  term.section = "point";
  term.inBaseline = true;
  term.enabled = [](const ExperimentConfig& config) {
    return config.supervision == Supervision::Points && config.point.weight > 0;
  };
  term.needs = [](const ExperimentConfig&) {
    LossTermNeeds needs;
    needs.segmentation = true;
    needs.points = true;
    return needs;
  };
  term.weight = [](const ExperimentConfig& config) { return config.point.weight; };
  term.compute = [](StepContext& step) {
    WSSS_CHECK(step.batch.points.defined(),
               "point is on, but the batch has no clicks: read the training split with "
               "trainingDataOptions(config), which reads data.points_file");
    return pointLoss(step.segmentationLogits(), step.batch.points, step.config.point.radius,
                     step.valid());
  };
  return term;
}

}  // namespace wsss
