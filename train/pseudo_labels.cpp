#include "train/pseudo_labels.h"

#include <torch/torch.h>

#include "core/class_maps.h"
#include "core/config/option_table.h"
#include "core/error.h"

namespace wsss {

void PseudoLabelOptions::describe(OptionTable& table) {
  table.choice("source", source, {"cam", "support"},
               "what the pseudo-labels are made from: MainNet's CAM, or SupportNet's "
               "multi-scale CAM (needs support.mode ema or shared)");
  table.field("refine", refine,
              "refine the source's maps with the image before the thresholds (METHODS §3; the "
              "refine: section sets the operator)");
  table.field("renormalise", renormalise,
              "with refine: divide each refined class map by its peak again, so the thresholds "
              "stay fractions of the peak as on Â (false: threshold the refined maps as they "
              "come, like AFA)");
  table.field("high_threshold", highThreshold, "a pixel takes its top class at or above this")
      .atLeast(0)
      .atMost(1);
  table.field("low_threshold", lowThreshold, "background below this; ignored in between")
      .atLeast(0)
      .atMost(1)
      .rule([this] {
        return lowThreshold <= highThreshold ? std::string()
                                             : "must not exceed pseudo.high_threshold (" +
                                                   std::to_string(highThreshold) + ")";
      });
  table.field("dir", dir,
              "supervision pseudo_dir: the folder of <id>.png pseudo-labels (VOC palette or "
              "grey indices, 255 ignored) the segmentation head trains on; relative to the "
              "working directory");
}

torch::Tensor insideCropBox(const torch::Tensor& cropBox, int64_t height, int64_t width,
                            const torch::Device& device) {
  const torch::Tensor box = cropBox.to(device, torch::kLong);
  const auto rows = torch::arange(height, box.options()).view({1, 1, height, 1});
  const auto cols = torch::arange(width, box.options()).view({1, 1, 1, width});
  auto edge = [&](int64_t k) { return box.select(1, k).view({-1, 1, 1, 1}); };
  return (rows >= edge(0)) & (rows < edge(2)) & (cols >= edge(1)) & (cols < edge(3));
}

torch::Tensor ignoreOutsideCropBox(const torch::Tensor& labels, const torch::Tensor& cropBox) {
  if (!cropBox.defined()) return labels;
  const torch::Tensor inside =
      insideCropBox(cropBox, labels.size(1), labels.size(2), labels.device()).squeeze(1);
  return labels.masked_fill(inside.logical_not(), 255);
}

PseudoTargets makePseudoTargets(const PseudoLabelInputs& inputs, const PseudoLabelOptions& options,
                                const ImageRefinementOptions& refinement) {
  torch::NoGradGuard noGrad;
  PseudoTargets targets;
  if (options.source == "support") {
    WSSS_CHECK(inputs.supportScores.defined(),
               "pseudo.source is support, but SupportNet is off: set support.mode to ema or "
               "shared");
    targets.scores = resizeMaps(inputs.supportScores.detach(), inputs.height, inputs.width);
  } else {
    WSSS_CHECK(options.source == "cam", "pseudo.source '", options.source,
               "' is not available; use: cam, support");
    targets.scores = resizeMaps(normaliseClassMaps(inputs.cam.detach(), inputs.labels),
                                inputs.height, inputs.width);
  }
  if (options.refine) {
    WSSS_CHECK(inputs.image.defined(), "pseudo.refine is on, but no image was given to guide it");
    torch::Tensor valid;
    if (inputs.cropBox.defined()) {
      valid = insideCropBox(inputs.cropBox, inputs.height, inputs.width, targets.scores.device());
    }
    targets.scores =
        refinePresentClasses(inputs.image, targets.scores, inputs.labels, valid, refinement);
    // Refinement averages a map over its region, which lowers a peaked map's maximum; dividing
    // by the peak again keeps 0.55 and 0.35 meaning what they mean on Â.
    if (options.renormalise) targets.scores = divideByPeak(targets.scores);
  }
  targets.segLabel = ignoreOutsideCropBox(
      thresholdLabels(targets.scores, options.highThreshold, options.lowThreshold), inputs.cropBox);
  return targets;
}

}  // namespace wsss
