#pragma once
// The pseudo-label engine: from the network's outputs on a batch to the targets the
// segmentation loss trains on, made on the fly in the same step (METHODS §0). A source makes
// class maps (pseudo_label_sources.h), a chain of refiners improves them
// (pseudo_label_refiners.h), and the two-threshold rule turns them into labels. The training
// step, `wsss eval --target cam` and `wsss pseudo` build the engine's input with
// pseudoLabelInputs and run makePseudoTargets alike.
#include <torch/types.h>

#include <string>

#include "core/config/choice.h"
#include "data/batch.h"
#include "models/refine/alpha_matting.h"
#include "models/refine/image_refinement.h"
#include "train/pseudo/point_masks.h"

namespace wsss {

class OptionTable;

// Where the pseudo-labels' class maps come from.
enum class PseudoSource { Cam, Support, Points, D2cam };
inline const ChoiceNames<PseudoSource>& choiceNames(PseudoSource) {
  static const ChoiceNames<PseudoSource> names = {{PseudoSource::Cam, "cam"},
                                                  {PseudoSource::Support, "support"},
                                                  {PseudoSource::Points, "points"},
                                                  {PseudoSource::D2cam, "d2cam"}};
  return names;
}

struct PseudoLabelOptions {
  PseudoSource source = PseudoSource::Cam;
  bool refine = false;          // refine the source's maps with the image (METHODS §3) first
  bool renormalise = true;      // divide each refined map by its peak again, as Â is
  double highThreshold = 0.55;  // a pixel takes argmax Â when max Â reaches this
  double lowThreshold = 0.35;   // background below this; 255 (ignored) in between
  bool crf = false;  // wsss pseudo: the dense CRF (crf:) over the finished labels
  std::string dir;  // supervision pseudo_dir: the folder of <id>.png pseudo-labels to train on
  void describe(OptionTable& table);
};

// Everything the engine is configured by: the pseudo: section, the refinement operator and the
// point pseudo-masks' rule.
struct PseudoLabelSettings {
  PseudoLabelOptions pseudo;
  ImageRefinementOptions refinement;
  PointOptions points;
  MattingOptions matting;
};

// What the engine can make pseudo-labels from; a source that is not switched on is undefined.
struct PseudoLabelInputs {
  torch::Tensor cam;            // B x C x h x w: MainNet's raw CAM (no gradient is taken)
  torch::Tensor supportScores;  // B x C x H x W: SupportNet's Ŝ in [0, 1] (METHODS §1)
  torch::Tensor labels;         // B x C image labels
  torch::Tensor cropBox;  // B x 4 [top, left, bottom, right) of the real image; undefined = all
  int64_t height = 0, width = 0;  // the image size
  torch::Tensor image;            // B x 3 x H x W: the refiners' guide
  torch::Tensor decoder;  // B x D x h x w: the segmentation head's features (E of METHODS §5)
  torch::Tensor points;   // N x 5 clicks [batch index, y, x, cls, rank] in image pixels
  torch::Tensor fgbg;     // B x C x h x w: D2CAM's fg/bg-decoupled maps P_c (METHODS §4)
  torch::Tensor valid() const;    // B x 1 x H x W bool inside the crop box; undefined = all
};

// The engine's input for `batch`: its image, labels, crop box and clicks, with the maps a
// source reads (`cam`: MainNet's CAM or maps in its place, such as CCI's; `supportScores` when
// SupportNet ran; `decoder` when the segmentation head ran; `fgbg` with the D2CAM head).
PseudoLabelInputs pseudoLabelInputs(const Batch& batch, const torch::Tensor& cam,
                                    const torch::Tensor& supportScores = {},
                                    const torch::Tensor& decoder = {},
                                    const torch::Tensor& fgbg = {});

struct PseudoTargets {
  torch::Tensor scores;      // B x C x H x W in [0, 1] at the image size: the source's maps,
                             // through the refiner chain
  torch::Tensor segLabel;    // B x H x W int64: 0 = background, c = class c, 255 = ignore
  torch::Tensor background;  // B x 1 x H x W: the source's background evidence (the points
                             // source's background clicks); undefined for the others
  torch::Tensor trimaps;     // B x C x H x W uint8 (kTrimap*): the matting refiner's trimaps;
                             // undefined without it
};

// The maps of `settings.pseudo.source` after the configured refiners, labelled by the source's
// rule (marginLabels: pseudo's two thresholds for cam and support, point's thresholds and
// margin for points); pixels outside the crop box are 255. With the image refinement and
// without renormalise, a constant background channel at a threshold stays that constant, so
// for cam this is AFA's argmax over refined [bg, classes] maps.
PseudoTargets makePseudoTargets(const PseudoLabelInputs& inputs,
                                const PseudoLabelSettings& settings);
// The same with the point rule's defaults.
PseudoTargets makePseudoTargets(const PseudoLabelInputs& inputs, const PseudoLabelOptions& options,
                                const ImageRefinementOptions& refinement = {});

}  // namespace wsss
