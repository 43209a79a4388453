#include "train/pseudo/pseudo_labels.h"

#include <torch/torch.h>

#include "core/class_maps.h"
#include "core/config/option_table.h"
#include "train/crop_box.h"
#include "train/pseudo/pseudo_label_refiners.h"
#include "train/pseudo/pseudo_label_sources.h"

namespace wsss {

void PseudoLabelOptions::describe(OptionTable& table) {
  table.choice("source", source,
               "what the pseudo-labels are made from: MainNet's CAM, SupportNet's multi-scale "
               "CAM (needs support.mode ema or shared), or the clicks and the decoder features "
               "(supervision points; the point: section sets its rule)");
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
  table.field("crf", crf,
              "wsss pseudo: refine the finished labels with the dense CRF (the crf: section, "
              "label unary crf.gt_prob); unknown pixels take the CRF's label. Not used in "
              "training");
  table.field("dir", dir,
              "supervision pseudo_dir: the folder of <id>.png pseudo-labels (VOC palette or "
              "grey indices, 255 ignored) the segmentation head trains on; relative to the "
              "working directory");
}

torch::Tensor PseudoLabelInputs::valid() const {
  if (!cropBox.defined()) return {};
  return insideCropBox(cropBox, height, width, image.defined() ? image.device() : cam.device());
}

PseudoLabelInputs pseudoLabelInputs(const Batch& batch, const torch::Tensor& cam,
                                    const torch::Tensor& supportScores,
                                    const torch::Tensor& decoder, const torch::Tensor& fgbg) {
  PseudoLabelInputs inputs;
  inputs.cam = cam;
  inputs.supportScores = supportScores;
  inputs.decoder = decoder;
  inputs.points = batch.points;
  inputs.fgbg = fgbg;
  inputs.labels = batch.labels;
  inputs.image = batch.image;
  inputs.cropBox = batch.cropBox;
  inputs.height = batch.image.size(2);
  inputs.width = batch.image.size(3);
  return inputs;
}

PseudoTargets makePseudoTargets(const PseudoLabelInputs& inputs,
                                const PseudoLabelSettings& settings) {
  torch::NoGradGuard noGrad;
  const PseudoLabelSource source = pseudoLabelSource(settings.pseudo.source);
  SourceMaps maps = source.maps(inputs, settings);
  PseudoTargets targets;
  targets.scores = std::move(maps.scores);
  targets.background = std::move(maps.background);
  LabelRule rule = source.rule(settings);
  for (const PseudoLabelRefiner& refiner : pseudoLabelRefiners(settings)) {
    refiner.refine(inputs, targets);
    if (refiner.rule) rule = *refiner.rule;
  }
  targets.segLabel = ignoreOutsideCropBox(
      marginLabels(targets.scores, targets.background, rule.highThreshold, rule.lowThreshold,
                   rule.margin),
      inputs.cropBox);
  return targets;
}

PseudoTargets makePseudoTargets(const PseudoLabelInputs& inputs, const PseudoLabelOptions& options,
                                const ImageRefinementOptions& refinement) {
  return makePseudoTargets(inputs,
                           PseudoLabelSettings{options, refinement, PointOptions{}, MattingOptions{}});
}

}  // namespace wsss
