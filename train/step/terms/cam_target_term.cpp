// The CAM trained on the step's own pseudo-labels (METHODS §3, alternate updates): the
// cross-entropy of camTargetLogits at the image size, bg and fg averaged apart with
// seg.balanced.
#include "core/class_maps.h"
#include "losses/cam_target_loss.h"
#include "losses/segmentation_loss.h"
#include "train/experiment_config.h"
#include "train/step/loss_term.h"
#include "train/step/step_context.h"

namespace wsss {

// After the L_seg warm-up, so that the CAM first learns from the image labels alone.
LossTerm camTargetTerm() {
  LossTerm term;
  term.name = "cam_target";
  term.section = "selfguided";
  term.enabled = [](const ExperimentConfig& config) {
    return config.selfguided.camTarget && !config.trainsOnMasks();
  };
  term.firstStep = [](const ExperimentConfig& config) {
    return config.seg.warmupFor(config.train.iterations);
  };
  term.needs = [](const ExperimentConfig&) {
    LossTermNeeds needs;
    needs.pseudoLabels = true;
    return needs;
  };
  term.weight = [](const ExperimentConfig& config) { return config.selfguided.camTargetWeight; };
  term.compute = [](StepContext& step) {
    const Batch& batch = step.batch;
    const torch::Tensor maps = resizeMaps(normaliseClassMaps(step.outputs.cam, batch.labels),
                                          batch.image.size(2), batch.image.size(3));
    return segmentationLoss(camTargetLogits(maps, batch.labels), step.pseudoLabels().segLabel,
                            step.config.seg.balanced);
  };
  term.switchOff = [](ExperimentConfig& config) { config.selfguided.camTarget = false; };
  return term;
}

}  // namespace wsss
