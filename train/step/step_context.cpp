#include "train/step/step_context.h"

#include "core/class_maps.h"
#include "core/error.h"
#include "train/crop_box.h"
#include "train/experiment_config.h"
#include "train/pseudo/pseudo_label_sources.h"

namespace wsss {

StepContext::StepContext(TrainingModels& models, const Batch& batch, const ExperimentConfig& config,
                         int64_t iteration, NetworkOutputs outputs, BatchReduction reduction)
    : models(models),
      batch(batch),
      config(config),
      iteration(iteration),
      outputs(std::move(outputs)),
      reduction(std::move(reduction)) {}

const SupportMaps& StepContext::support() {
  if (!support_) {
    WSSS_CHECK(models.support, "this step reads SupportNet, but support.mode is off");
    support_ = supportMaps(*models.support, batch.image, batch.labels);
  }
  return *support_;
}

const PseudoTargets& StepContext::pseudoLabels() {
  if (!pseudoLabels_) {
    const bool readsSupport = pseudoLabelSource(config.pseudo.source).readsSupport;
    const PseudoLabelInputs inputs =
        pseudoLabelInputs(batch, outputs.cam, readsSupport ? support().scores : torch::Tensor(),
                          outputs.decoder, outputs.fgbg);
    pseudoLabels_ = makePseudoTargets(inputs, config.pseudoLabelSettings());
  }
  return *pseudoLabels_;
}

const torch::Tensor& StepContext::segmentationLogits() {
  if (!segmentationLogits_.defined()) {
    WSSS_CHECK(outputs.seg.defined(), "the segmentation head produced no output at step ",
               iteration + 1);
    segmentationLogits_ =
        resizeMaps(outputs.seg.to(torch::kFloat32), batch.image.size(2), batch.image.size(3));
  }
  return segmentationLogits_;
}

torch::Tensor StepContext::valid() const {
  if (!batch.cropBox.defined()) return {};
  return insideCropBox(batch.cropBox, batch.image.size(2), batch.image.size(3),
                       batch.image.device());
}

}  // namespace wsss
