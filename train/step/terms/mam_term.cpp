// L_mam (METHODS §1): MainNet's CAMs at several scales pulled toward SupportNet's.
#include <torch/torch.h>

#include <algorithm>

#include "core/class_maps.h"
#include "losses/mam_loss.h"
#include "train/experiment_config.h"
#include "train/step/loss_term.h"
#include "train/step/step_context.h"

namespace wsss {

namespace {

// On the leading mam.images of the batch: MainNet is run again at every mam.scale but 1 (where
// the step's CAM is reused), with gradient. Under torchrun the leading images are the global
// batch's: a rank takes those among its rows, maybe none, and the mean is the global one.
torch::Tensor mamLossOfStep(StepContext& step) {
  const MamOptions& options = step.config.mam;
  const Batch& batch = step.batch;
  const BatchReduction& reduction = step.reduction;
  const int64_t rows = batch.image.size(0);
  const int64_t images = std::clamp<int64_t>(
      options.imagesOf(rows * reduction.ranks) - reduction.rank * rows, 0, rows);
  if (images == 0) {
    // Nothing of this rank's share is scored; it still joins every scale's count.
    torch::Tensor none = step.outputs.cam.sum() * 0.0;
    for (size_t scale = 0; scale < options.scales.size(); ++scale) {
      none = none + reduction.mean(step.outputs.cam.narrow(0, 0, 0).to(torch::kFloat32));
    }
    return none;
  }
  const int64_t height = batch.image.size(2);
  const int64_t width = batch.image.size(3);
  const torch::Tensor image = batch.image.narrow(0, 0, images);
  const torch::Tensor mask = labelMask(batch.labels.narrow(0, 0, images));
  std::vector<torch::Tensor> mainMaps;
  for (const double scale : options.scales) {
    const torch::Tensor cam =
        scale == 1.0 ? step.outputs.cam.narrow(0, 0, images)
                     : step.models.network->forward(scaleImage(image, scale), false).cam;
    mainMaps.push_back(resizeMaps(torch::relu(cam.to(torch::kFloat32)), height, width) * mask);
  }
  std::vector<torch::Tensor> supportLeading;
  for (const torch::Tensor& map : step.support().perScale) {
    supportLeading.push_back(map.narrow(0, 0, images));
  }
  return mamLoss(mainMaps, supportLeading, reduction);
}

}  // namespace

// It waits out its warm-up, so that SupportNet has CAMs worth copying first.
LossTerm multiScaleAttentionTerm() {
  LossTerm term;
  term.name = "mam";
  term.section = "mam";
  term.enabled = [](const ExperimentConfig& config) { return config.mam.enabled; };
  term.firstStep = [](const ExperimentConfig& config) {
    return config.mam.warmupFor(config.train.iterations);
  };
  term.needs = [](const ExperimentConfig&) {
    LossTermNeeds needs;
    needs.support = true;
    return needs;
  };
  term.weight = [](const ExperimentConfig& config) { return config.mam.weight; };
  term.compute = mamLossOfStep;
  term.switchOff = [](ExperimentConfig& config) { config.mam.enabled = false; };
  return term;
}

}  // namespace wsss
