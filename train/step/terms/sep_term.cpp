// L_sep (METHODS §4): D2CAM's class prototypes kept apart.
#include "losses/d2cam_losses.h"
#include "train/experiment_config.h"
#include "train/step/loss_term.h"
#include "train/step/step_context.h"

namespace wsss {

LossTerm prototypeSeparationTerm() {
  LossTerm term;
  term.name = "sep";
  term.section = "d2cam";
  term.enabled = [](const ExperimentConfig& config) {
    return config.model.camHead == CamHeadKind::D2cam && config.model.d2cam.separationWeight > 0;
  };
  term.weight = [](const ExperimentConfig& config) {
    return config.model.d2cam.separationWeight;
  };
  term.compute = [](StepContext& step) { return separationLoss(step.outputs.prototypes); };
  return term;
}

}  // namespace wsss
