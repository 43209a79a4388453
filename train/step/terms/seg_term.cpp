// L_seg (METHODS §0): the segmentation head's cross-entropy on the step's pseudo-labels, or on
// the loader's masks with supervision full or pseudo_dir.
#include "core/error.h"
#include "losses/segmentation_loss.h"
#include "train/experiment_config.h"
#include "train/step/loss_term.h"
#include "train/step/step_context.h"

namespace wsss {

namespace {

torch::Tensor maskTarget(const StepContext& step) {
  const ExperimentConfig& config = step.config;
  WSSS_CHECK(step.batch.mask.defined(), "supervision: ", choiceName(config.supervision),
             config.supervision == Supervision::Full
                 ? " needs ground-truth masks, but the training split has none (data.mask_dirs)"
                 : " found no pseudo-label PNGs in pseudo.dir " + config.pseudo.dir);
  return step.batch.mask;
}

}  // namespace

// The head waits for seg.warmup_iters on pseudo-labels, so that the CAM first learns from the
// image labels alone; on masks it trains from the first step. With aamr on, L_aamr trains the
// head in its place; with clicks, L_point and L_pm do.
LossTerm segmentationTerm() {
  LossTerm term;
  term.name = "seg";
  term.section = "seg";
  term.inBaseline = true;
  term.enabled = [](const ExperimentConfig& config) {
    return !config.aamr.enabled && config.supervision != Supervision::Points &&
           config.seg.weight > 0;
  };
  term.firstStep = [](const ExperimentConfig& config) -> int64_t {
    return config.trainsOnMasks() ? 0 : config.seg.warmupFor(config.train.iterations);
  };
  term.needs = [](const ExperimentConfig& config) {
    LossTermNeeds needs;
    needs.segmentation = true;
    needs.pseudoLabels = !config.trainsOnMasks();
    return needs;
  };
  term.weight = [](const ExperimentConfig& config) { return config.seg.weight; };
  term.compute = [](StepContext& step) {
    const torch::Tensor& target =
        step.config.trainsOnMasks() ? maskTarget(step) : step.pseudoLabels().segLabel;
    return segmentationLoss(step.segmentationLogits(), target, step.config.seg.balanced,
                            step.reduction);
  };
  return term;
}

}  // namespace wsss
