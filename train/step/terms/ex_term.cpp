// L_ex (METHODS §4): two present classes of D2CAM's fg/bg maps claiming one pixel, punished.
#include "losses/d2cam_losses.h"
#include "train/experiment_config.h"
#include "train/step/loss_term.h"
#include "train/step/step_context.h"

namespace wsss {

LossTerm exclusivityTerm() {
  LossTerm term;
  term.name = "ex";
  term.section = "d2cam";
  term.enabled = [](const ExperimentConfig& config) {
    return config.model.camHead == CamHeadKind::D2cam && config.model.d2cam.exclusionWeight > 0;
  };
  term.weight = [](const ExperimentConfig& config) { return config.model.d2cam.exclusionWeight; };
  term.compute = [](StepContext& step) {
    return exclusionLoss(step.outputs.fgbg, step.batch.labels);
  };
  return term;
}

}  // namespace wsss
