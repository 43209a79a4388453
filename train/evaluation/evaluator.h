#pragma once
// One pass of a segmenter over an evaluation split, scored against the masks; optionally the
// predicted labels saved as VOC palette PNGs.
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/batch.h"
#include "data/data_loader.h"
#include "train/evaluation/confusion_matrix.h"

namespace wsss {

struct EvaluationSettings {
  int64_t numClasses = 21;              // K, background included
  std::vector<std::string> classNames;  // K names, background first (may be left empty)
  std::string split;                    // named in errors; "" = not named
  // "" = save nothing; else <dir>/<id>.png (VOC palette, data/label_png.h), folder created.
  std::string savePngDir;
  // > 0: the pixels within this many pixels of an edge of the masks (boundary_band.h) are
  // also scored on their own.
  int64_t boundaryBand = 0;
  // Called after every batch with the batches done and the batches in a full pass.
  std::function<void(int64_t done, int64_t total)> progress;
};

// Labels for a batch: B x H x W integers at the batch's (padded) image size, 0..K-1 or 255 for
// undecided; any device.
using LabelPredictor = std::function<torch::Tensor(const Batch& batch)>;

// The scores of a split: every labelled pixel, and with a boundary band the band's alone.
struct SplitScores {
  SegmentationScores whole;
  std::optional<SegmentationScores> boundary;
};

// Their counts. `boundaryBand` > 0 also counts the pixels within that many pixels of an edge
// of each target (boundary_band.h), the band found on the target given to add.
struct SplitConfusion {
  SplitConfusion(int64_t numClasses, int64_t boundaryBand);
  // Counts a prediction against its target (ConfusionMatrix::add): one image, or images that
  // fill their batch, so that no padding draws an edge.
  void add(const torch::Tensor& prediction, const torch::Tensor& target);
  SplitScores scores() const;
  // The counts of `whole` and of `boundary` when set (ConfusionMatrix::counts).
  std::vector<torch::Tensor> counts() const;

  int64_t boundaryBand;
  ConfusionMatrix whole;
  std::optional<ConfusionMatrix> boundary;  // with boundaryBand > 0
};

// Runs `loader` (an evaluation loader: whole, unaugmented images, batch.mask set; one pass
// from where it stands) through `predictLabels` and counts every pixel inside each image's
// cropBox, so the padding of batches of unequal images is never scored (nor saved). Throws
// wsss::Error naming the split and the ids of a batch without masks, or a prediction of the
// wrong shape or with labels outside 0..K-1 and 255.
SplitConfusion accumulateConfusion(DataLoader& loader, const LabelPredictor& predictLabels,
                                   const EvaluationSettings& settings);

// accumulateConfusion(...).scores().
SplitScores scoreSplit(DataLoader& loader, const LabelPredictor& predictLabels,
                       const EvaluationSettings& settings);

// Writes H x W integer labels (any device) as a VOC-palette PNG at `path`, atomically.
void saveLabelPng(const torch::Tensor& labels, const std::string& path);

// The whole split's scores alone.
SegmentationScores evaluateSegmentation(DataLoader& loader, const LabelPredictor& predictLabels,
                                        const EvaluationSettings& settings);

}  // namespace wsss
