#pragma once
// What a loss term computes from: the batch, the step's place in the run, MainNet's outputs,
// and what the step makes only when an active term asks, once: SupportNet's maps, the
// pseudo-labels, the segmentation logits at the image size.
#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <utility>

#include "data/batch.h"
#include "losses/batch_reduction.h"
#include "models/network.h"
#include "train/pseudo/pseudo_labels.h"
#include "train/pseudo/support_maps.h"
#include "train/training_models.h"

namespace wsss {

struct ExperimentConfig;

class StepContext {
 public:
  StepContext(TrainingModels& models, const Batch& batch, const ExperimentConfig& config,
              int64_t iteration, NetworkOutputs outputs, BatchReduction reduction = {});

  TrainingModels& models;
  const Batch& batch;
  const ExperimentConfig& config;
  const int64_t iteration;       // 0-based
  const NetworkOutputs outputs;  // MainNet on batch.image (seg only when a term needs it)
  // Under torchrun `batch` is this rank's share: the means over pixels that a term takes
  // over the global batch go through this (losses/batch_reduction.h).
  const BatchReduction reduction;

  // SupportNet's maps of the batch; throws when support.mode is off.
  const SupportMaps& support();
  // The step's pseudo-labels: pseudo.source through the refiner chain.
  const PseudoTargets& pseudoLabels();
  // The segmentation head's logits bilinearly resized to the image, float32.
  const torch::Tensor& segmentationLogits();
  // B x 1 x H x W bool inside each image's crop box; undefined when the batch has no box.
  torch::Tensor valid() const;

  // Maps made elsewhere, used in place of making them (a caller that already ran SupportNet on
  // the batch, or a test that sets them by hand).
  void provideSupport(SupportMaps maps) { support_ = std::move(maps); }
  void providePseudoLabels(PseudoTargets targets) { pseudoLabels_ = std::move(targets); }

 private:
  std::optional<SupportMaps> support_;
  std::optional<PseudoTargets> pseudoLabels_;
  torch::Tensor segmentationLogits_;
};

}  // namespace wsss
