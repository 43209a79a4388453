#include "train/selfguided_losses.h"

#include <torch/torch.h>

#include "core/class_maps.h"
#include "losses/cam_target_loss.h"
#include "losses/segmentation_loss.h"
#include "models/refine/feature_affinity.h"
#include "train/pseudo_labels.h"

namespace wsss {

torch::Tensor affinityConsistencyTerm(const NetworkOutputs& outputs, const Batch& batch,
                                      const AffinityConsistencyOptions& options) {
  const int64_t height = outputs.mid.size(2);
  const int64_t width = outputs.mid.size(3);
  const torch::Tensor maps =
      resizeMaps(normaliseClassMaps(outputs.cam, batch.labels), height, width);
  torch::Tensor valid;
  if (batch.cropBox.defined()) {
    const torch::Tensor inside =
        insideCropBox(batch.cropBox, batch.image.size(2), batch.image.size(3), maps.device());
    valid = resizeMaps(inside.to(torch::kFloat32), height, width).ge(0.5);
  }
  const auto offsets = stencilOffsets(options.dilations, true);
  const torch::Tensor affinity = featureAffinity(outputs.mid, valid, offsets, options.temperature);
  const torch::Tensor propagated = propagateByAffinity(maps, affinity, offsets, options.steps);
  return affinityConsistencyLoss(maps, propagated, valid);
}

torch::Tensor camTargetTerm(const NetworkOutputs& outputs, const Batch& batch,
                            const torch::Tensor& target, bool balanced) {
  const torch::Tensor maps = resizeMaps(normaliseClassMaps(outputs.cam, batch.labels),
                                        batch.image.size(2), batch.image.size(3));
  return segmentationLoss(camTargetLogits(maps, batch.labels), target, balanced);
}

}  // namespace wsss
