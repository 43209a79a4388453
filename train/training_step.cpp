#include "train/training_step.h"

#include <torch/torch.h>

#include "core/class_maps.h"
#include "core/error.h"
#include "losses/classification_loss.h"
#include "losses/segmentation_loss.h"
#include "train/experiment_config.h"
#include "train/pseudo_labels.h"

namespace wsss {

bool segmentationActive(const ExperimentConfig& config, int64_t iteration) {
  if (config.seg.weight <= 0) return false;
  if (config.supervision == "full") return true;
  return iteration >= config.seg.warmupFor(config.train.iterations);
}

LossTerms computeLosses(const NetworkOutputs& outputs, const Batch& batch,
                        const ExperimentConfig& config, int64_t iteration) {
  LossTerms losses;
  const torch::Tensor cls = multilabelSoftMarginLoss(outputs.logits, batch.labels);
  losses.terms.emplace_back("cls", cls);
  losses.total = config.cls.weight * cls;

  if (segmentationActive(config, iteration)) {
    WSSS_CHECK(outputs.seg.defined(), "the segmentation head produced no output at step ",
               iteration + 1);
    const int64_t height = batch.image.size(2);
    const int64_t width = batch.image.size(3);
    torch::Tensor target;
    if (config.supervision == "full") {
      WSSS_CHECK(batch.mask.defined(),
                 "supervision: full needs ground-truth masks, but the "
                 "training split has none (data.mask_dirs)");
      target = batch.mask;
    } else {
      target =
          makePseudoTargets(outputs.cam, batch.labels, batch.cropBox, height, width, config.pseudo)
              .segLabel;
    }
    const torch::Tensor logits = resizeMaps(outputs.seg.to(torch::kFloat32), height, width);
    const torch::Tensor seg = segmentationLoss(logits, target, config.seg.balanced);
    losses.terms.emplace_back("seg", seg);
    losses.total = losses.total + config.seg.weight * seg;
  }
  return losses;
}

}  // namespace wsss
