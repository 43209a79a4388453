// L_affc (METHODS §3): Â (with gradient) at the mid tap's size against Â propagated
// affc.steps times along the mid features' affinity; pixels outside the crop box are left out.
#include <torch/torch.h>

#include "core/class_maps.h"
#include "losses/affinity_consistency_loss.h"
#include "models/refine/feature_affinity.h"
#include "train/experiment_config.h"
#include "train/step/loss_term.h"
#include "train/step/step_context.h"

namespace wsss {

namespace {

torch::Tensor affcLossOfStep(StepContext& step) {
  const AffinityConsistencyOptions& options = step.config.affc;
  const NetworkOutputs& outputs = step.outputs;
  const int64_t height = outputs.mid.size(2);
  const int64_t width = outputs.mid.size(3);
  const torch::Tensor maps =
      resizeMaps(normaliseClassMaps(outputs.cam, step.batch.labels), height, width);
  torch::Tensor valid;
  if (step.batch.cropBox.defined()) {
    valid = resizeMaps(step.valid().to(torch::kFloat32), height, width).ge(0.5);
  }
  const auto offsets = stencilOffsets(options.dilations, true);
  const torch::Tensor affinity = featureAffinity(outputs.mid, valid, offsets, options.temperature);
  const torch::Tensor propagated = propagateByAffinity(maps, affinity, offsets, options.steps);
  return affinityConsistencyLoss(maps, propagated, valid);
}

}  // namespace

LossTerm affinityConsistencyTerm() {
  LossTerm term;
  term.name = "affc";
  term.section = "affc";
  term.enabled = [](const ExperimentConfig& config) { return config.affc.enabled; };
  term.weight = [](const ExperimentConfig& config) { return config.affc.weight; };
  term.compute = affcLossOfStep;
  term.switchOff = [](ExperimentConfig& config) { config.affc.enabled = false; };
  return term;
}

}  // namespace wsss
