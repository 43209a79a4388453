#pragma once
// The pseudo-label engine: from the network's outputs on a batch to the targets the
// segmentation loss trains on, made on the fly in the same step (METHODS §0). Later methods
// add sources and refiners here; the trainer and `wsss eval --target cam` share this one path.
#include <torch/types.h>

#include <string>

#include "models/refine/image_refinement.h"

namespace wsss {

class OptionTable;

struct PseudoLabelOptions {
  std::string source = "cam";   // cam | support
  bool refine = false;          // refine the source's maps with the image (METHODS §3) first
  bool renormalise = true;      // divide each refined map by its peak again, as Â is
  double highThreshold = 0.55;  // a pixel takes argmax Â when max Â reaches this
  double lowThreshold = 0.35;   // background below this; 255 (ignored) in between
  std::string dir;  // supervision pseudo_dir: the folder of <id>.png pseudo-labels to train on
  void describe(OptionTable& table);
};

// What the engine can make pseudo-labels from; a source that is not switched on is undefined.
struct PseudoLabelInputs {
  torch::Tensor cam;            // B x C x h x w: MainNet's raw CAM (no gradient is taken)
  torch::Tensor supportScores;  // B x C x H x W: SupportNet's Ŝ in [0, 1] (METHODS §1)
  torch::Tensor labels;         // B x C image labels
  torch::Tensor cropBox;  // B x 4 [top, left, bottom, right) of the real image; undefined = all
  int64_t height = 0, width = 0;  // the image size
  torch::Tensor image;            // B x 3 x H x W: the refinement's guide (pseudo.refine)
};

struct PseudoTargets {
  torch::Tensor scores;    // B x C x H x W in [0, 1] at the image size: the source's maps,
                           // refined when pseudo.refine is on
  torch::Tensor segLabel;  // B x H x W int64: 0 = background, c = class c, 255 = ignore
};

// The two-threshold rule on the maps of `options.source`, refined with the image first when
// `options.refine` (on the present classes; the crop box is the valid area) and then, with
// `options.renormalise`, divided by their peaks again; pixels outside the crop box are 255.
// A constant background channel at a threshold stays that constant under the refinement, so
// without renormalise this is AFA's argmax over refined [bg, classes] maps.
PseudoTargets makePseudoTargets(const PseudoLabelInputs& inputs, const PseudoLabelOptions& options,
                                const ImageRefinementOptions& refinement = {});

// B x 1 x height x width bool: inside each image's crop box (B x 4 [top, left, bottom, right)).
torch::Tensor insideCropBox(const torch::Tensor& cropBox, int64_t height, int64_t width,
                            const torch::Device& device);

// 255 outside each image's crop box: B x H x W labels, B x 4 boxes.
torch::Tensor ignoreOutsideCropBox(const torch::Tensor& labels, const torch::Tensor& cropBox);

}  // namespace wsss
