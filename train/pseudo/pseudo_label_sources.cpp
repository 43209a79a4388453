#include "train/pseudo/pseudo_label_sources.h"

#include "core/class_maps.h"
#include "core/error.h"

namespace wsss {

namespace {

// Â: MainNet's CAM, relu'd and divided by each present class's peak (METHODS §0).
PseudoLabelSource camSource() {
  return {PseudoSource::Cam, false, [](const PseudoLabelInputs& inputs) {
            return resizeMaps(normaliseClassMaps(inputs.cam.detach(), inputs.labels), inputs.height,
                              inputs.width);
          }};
}

// Ŝ: SupportNet's multi-scale CAM (METHODS §1).
PseudoLabelSource supportSource() {
  return {PseudoSource::Support, true, [](const PseudoLabelInputs& inputs) {
            WSSS_CHECK(inputs.supportScores.defined(),
                       "pseudo.source is support, but SupportNet is off: set support.mode to ema "
                       "or shared");
            return resizeMaps(inputs.supportScores.detach(), inputs.height, inputs.width);
          }};
}

}  // namespace

std::vector<PseudoLabelSource> pseudoLabelSources() { return {camSource(), supportSource()}; }

PseudoLabelSource pseudoLabelSource(PseudoSource id) {
  for (PseudoLabelSource& source : pseudoLabelSources()) {
    if (source.id == id) return source;
  }
  throw Error("pseudo.source '" + choiceName(id) + "' has no entry in pseudoLabelSources()");
}

}  // namespace wsss
