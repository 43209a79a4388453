// L_fgbg [ours, beyond METHODS §4]: D2CAM's classes scored against its background prototypes.
// The multilabel loss on s · top mean of the margins cos(f, w_c) − max_k cos(f, b_k) that P_c
// squashes. Without it nothing pulls b_k towards the background: L_cls reads M_c alone, and
// L_ex only lowers P_c everywhere, so the trimaps drift to background or to whatever b_k missed.
#include "losses/classification_loss.h"
#include "train/experiment_config.h"
#include "train/step/loss_term.h"
#include "train/step/step_context.h"

namespace wsss {

LossTerm foregroundBackgroundTerm() {
  LossTerm term;
  term.name = "fgbg";
  term.section = "d2cam";
  term.enabled = [](const ExperimentConfig& config) {
    return config.model.camHead == CamHeadKind::D2cam && config.model.d2cam.fgbgWeight > 0;
  };
  term.weight = [](const ExperimentConfig& config) { return config.model.d2cam.fgbgWeight; };
  term.compute = [](StepContext& step) {
    return multilabelSoftMarginLoss(step.outputs.fgbgLogits, step.batch.labels);
  };
  return term;
}

}  // namespace wsss
