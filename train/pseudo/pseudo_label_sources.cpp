#include "train/pseudo/pseudo_label_sources.h"

#include "core/class_maps.h"
#include "core/error.h"

namespace wsss {

namespace {

// The CAM sources' rule: pseudo's two thresholds.
LabelRule twoThresholds(const PseudoLabelSettings& settings) {
  return {settings.pseudo.highThreshold, settings.pseudo.lowThreshold, 0.0};
}

// Â: MainNet's CAM, relu'd and divided by each present class's peak (METHODS §0).
PseudoLabelSource camSource() {
  PseudoLabelSource source;
  source.id = PseudoSource::Cam;
  source.maps = [](const PseudoLabelInputs& inputs, const PseudoLabelSettings&) {
    return SourceMaps{resizeMaps(normaliseClassMaps(inputs.cam.detach(), inputs.labels),
                                 inputs.height, inputs.width),
                      {}};
  };
  source.rule = twoThresholds;
  return source;
}

// Ŝ: SupportNet's multi-scale CAM (METHODS §1).
PseudoLabelSource supportSource() {
  PseudoLabelSource source;
  source.id = PseudoSource::Support;
  source.readsSupport = true;
  source.maps = [](const PseudoLabelInputs& inputs, const PseudoLabelSettings&) {
    WSSS_CHECK(inputs.supportScores.defined(),
               "pseudo.source is support, but SupportNet is off: set support.mode to ema or "
               "shared");
    return SourceMaps{resizeMaps(inputs.supportScores.detach(), inputs.height, inputs.width), {}};
  };
  source.rule = twoThresholds;
  return source;
}

// S_c: the clicks' classes spread along the refined decoder features, with the background
// clicks as background evidence (METHODS §5).
PseudoLabelSource pointsSource() {
  PseudoLabelSource source;
  source.id = PseudoSource::Points;
  source.readsPoints = true;
  source.maps = [](const PseudoLabelInputs& inputs, const PseudoLabelSettings& settings) {
    WSSS_CHECK(inputs.points.defined(),
               "pseudo.source is points, but the batch has no clicks: read the split with the "
               "clicks of data.points_file (supervision points)");
    const PointScores point =
        pointScores(inputs.decoder, inputs.points, inputs.image, inputs.valid(),
                    inputs.labels.size(1), settings.points, settings.refinement);
    return SourceMaps{point.scores, point.background};
  };
  source.rule = [](const PseudoLabelSettings& settings) {
    return LabelRule{settings.points.highThreshold, settings.points.lowThreshold,
                     settings.points.margin};
  };
  return source;
}

// P_c: D2CAM's fg/bg-decoupled maps of the present classes (METHODS §4), already in (0, 1) and
// on a scale of their own (0.5 where a class and the nearest background prototype tie), so
// they are not divided by their peak.
PseudoLabelSource d2camSource() {
  PseudoLabelSource source;
  source.id = PseudoSource::D2cam;
  source.maps = [](const PseudoLabelInputs& inputs, const PseudoLabelSettings&) {
    WSSS_CHECK(inputs.fgbg.defined(),
               "pseudo.source is d2cam, but the network has no D2CAM head: set "
               "model.cam_head: d2cam");
    const torch::Tensor present = labelMask(inputs.labels).to(inputs.fgbg.device());
    return SourceMaps{
        resizeMaps(inputs.fgbg.detach().to(torch::kFloat32) * present, inputs.height,
                   inputs.width),
        {}};
  };
  source.rule = twoThresholds;
  return source;
}

}  // namespace

std::vector<PseudoLabelSource> pseudoLabelSources() {
  return {camSource(), supportSource(), pointsSource(), d2camSource()};
}

PseudoLabelSource pseudoLabelSource(PseudoSource id) {
  for (PseudoLabelSource& source : pseudoLabelSources()) {
    if (source.id == id) return source;
  }
  throw Error("pseudo.source '" + choiceName(id) + "' has no entry in pseudoLabelSources()");
}

}  // namespace wsss
