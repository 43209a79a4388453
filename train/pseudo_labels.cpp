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
}

torch::Tensor thresholdLabels(const torch::Tensor& scores, double highThreshold,
                              double lowThreshold) {
  const auto [peak, index] = scores.max(1);
  torch::Tensor labels = torch::full_like(index, 255);
  labels.masked_fill_(peak < lowThreshold, 0);
  labels = torch::where(peak >= highThreshold, index + 1, labels);
  return labels;
}

torch::Tensor ignoreOutsideCropBox(const torch::Tensor& labels, const torch::Tensor& cropBox) {
  if (!cropBox.defined()) return labels;
  const int64_t height = labels.size(1);
  const int64_t width = labels.size(2);
  const torch::Tensor box = cropBox.to(labels.device(), torch::kLong);
  const auto rows = torch::arange(height, box.options()).view({1, height, 1});
  const auto cols = torch::arange(width, box.options()).view({1, 1, width});
  auto edge = [&](int64_t k) { return box.select(1, k).view({-1, 1, 1}); };
  const torch::Tensor inside =
      (rows >= edge(0)) & (rows < edge(2)) & (cols >= edge(1)) & (cols < edge(3));
  return labels.masked_fill(inside.logical_not(), 255);
}

PseudoTargets makePseudoTargets(const PseudoLabelInputs& inputs,
                                const PseudoLabelOptions& options) {
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
  targets.segLabel = ignoreOutsideCropBox(
      thresholdLabels(targets.scores, options.highThreshold, options.lowThreshold), inputs.cropBox);
  return targets;
}

}  // namespace wsss
