// L_aamr (METHODS §2): the segmentation head trained on a target built from saliency and the
// pseudo-label engine's maps (so it follows pseudo.source and the refiners), in L_seg's place.
#include "core/error.h"
#include "losses/aamr_loss.h"
#include "train/experiment_config.h"
#include "train/step/loss_term.h"
#include "train/step/step_context.h"

namespace wsss {

namespace {

torch::Tensor aamrLossOfStep(StepContext& step) {
  const ExperimentConfig& config = step.config;
  WSSS_CHECK(!config.trainsOnMasks(),
             "aamr builds its target from the CAM, so it needs "
             "supervision image_labels, not ",
             choiceName(config.supervision));
  WSSS_CHECK(step.batch.saliency.defined(),
             "aamr is on, but the batch has no saliency maps: read the training split with "
             "trainingDataOptions(config), which reads them from data.saliency_dir");
  const PseudoTargets& pseudo = step.pseudoLabels();
  // The crop box is the valid area.
  const AamrTarget target =
      aamrTarget(pseudo.scores, step.batch.saliency, step.batch.labels, step.valid(), config.aamr);
  return aamrLoss(step.segmentationLogits(), target);
}

}  // namespace

// It starts where L_seg would, after seg.warmup_iters.
LossTerm activationAwareRefinementTerm() {
  LossTerm term;
  term.name = "aamr";
  term.section = "aamr";
  term.enabled = [](const ExperimentConfig& config) {
    return config.aamr.enabled && config.aamr.weight > 0;
  };
  term.firstStep = [](const ExperimentConfig& config) {
    return config.seg.warmupFor(config.train.iterations);
  };
  term.needs = [](const ExperimentConfig&) {
    LossTermNeeds needs;
    needs.segmentation = true;
    needs.pseudoLabels = true;
    needs.saliency = true;
    return needs;
  };
  term.weight = [](const ExperimentConfig& config) { return config.aamr.weight; };
  term.compute = aamrLossOfStep;
  term.switchOff = [](ExperimentConfig& config) { config.aamr.enabled = false; };
  return term;
}

}  // namespace wsss
