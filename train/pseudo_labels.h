#pragma once
// The pseudo-label engine: from the network's outputs on a batch to the targets the
// segmentation loss trains on, made on the fly in the same step (METHODS §0). Later methods
// add sources and refiners here; the trainer and `wsss eval --target cam` share this one path.
#include <torch/types.h>

#include <string>

namespace wsss {

class OptionTable;

struct PseudoLabelOptions {
  std::string source = "cam";   // cam
  double highThreshold = 0.55;  // a pixel takes argmax Â when max Â reaches this
  double lowThreshold = 0.35;   // background below this; 255 (ignored) in between
  void describe(OptionTable& table);
};

struct PseudoTargets {
  torch::Tensor camScores;  // B x C x H x W: Â at the image size, float32
  torch::Tensor segLabel;   // B x H x W int64: 0 = background, c = class c, 255 = ignore
};

// cam: B x C x h x w raw class activation maps (no gradient is taken through them);
// labels: B x C; cropBox: B x 4 [top, left, bottom, right) of the real image (undefined = the
// whole image); height x width: the image size. Pixels outside the crop box are 255.
PseudoTargets makePseudoTargets(const torch::Tensor& cam, const torch::Tensor& labels,
                                const torch::Tensor& cropBox, int64_t height, int64_t width,
                                const PseudoLabelOptions& options);

// The two-threshold rule on B x C x H x W maps in [0, 1].
torch::Tensor thresholdLabels(const torch::Tensor& scores, double highThreshold,
                              double lowThreshold);

// 255 outside each image's crop box: B x H x W labels, B x 4 boxes.
torch::Tensor ignoreOutsideCropBox(const torch::Tensor& labels, const torch::Tensor& cropBox);

}  // namespace wsss
