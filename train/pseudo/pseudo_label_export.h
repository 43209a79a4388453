#pragma once
// What `wsss pseudo` runs: the pseudo-label engine over a split with a trained network, one
// VOC-palette PNG per image, and, where the split has masks, the scores of those labels. With
// pseudo.source cam the maps are class-conditional inference's (METHODS §2), and a sweep of a
// single background threshold on them is scored too; every other source gives the maps the
// training step makes (SupportNet's, the clicks', D2CAM's). The configured refiners follow
// either (the image refinement, matting), and matting's trimaps can be written as well.
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/voc_dataset.h"
#include "train/evaluation/confusion_matrix.h"
#include "train/training_models.h"

namespace wsss {

struct ExperimentConfig;
class DistributedGroup;

// The sweep's background thresholds: 0.05, 0.10, ..., 0.95.
std::vector<double> backgroundThresholdSweep();

struct PseudoExportSettings {
  std::string labelDir;                 // <dir>/<id>.png; created
  std::vector<double> sweepThresholds;  // scored on the raw CCI maps when the split has masks
  // "" = none; else, with matting on, <dir>/<id>_<class>.png per present class: the trimap as
  // grey 0 (background), 128 (unknown), 255 (foreground).
  std::string trimapDir;
  int64_t boundaryBand = 0;  // > 0: the labels are also scored within this many px of an edge
  std::function<void(int64_t done, int64_t total)> progress;  // after every image
  // The job's ranks under torchrun: each labels images rank, rank + N, ... of the split, and
  // the counts, images and trimaps are summed, so every rank returns the job's result.
  std::shared_ptr<DistributedGroup> group;
};

struct PseudoExportResult {
  int64_t images = 0;
  double seconds = 0;  // inference and label making, PNG writing and scoring included
  std::optional<SegmentationScores> scores;  // of the written labels; only with masks
  std::optional<SegmentationScores> boundary;  // ... within settings.boundaryBand of an edge
  std::vector<SegmentationScores> sweep;     // per threshold: argmax of [τ, raw CCI maps];
                                             // empty for the other sources
  int64_t trimaps = 0;                       // trimap PNGs written
};

// Labels from raw maps with one background threshold: the top present class where its map
// reaches `threshold`, background elsewhere. maps: B x C x H x W in [0, 1].
torch::Tensor backgroundThresholdLabels(const torch::Tensor& maps, double threshold);

// Whether `wsss pseudo` runs CCI: with pseudo.source cam, whose maps CCI replaces.
bool usesCci(const ExperimentConfig& config);

// Labels every image of `dataset` (whole, unaugmented, one per forward batch) and writes them:
// by CCI with MainNet's CAM (its crops, classes, scales and flips batched together) for
// pseudo.source cam, by the step's source otherwise; then the refiners. Throws wsss::Error
// before writing anything when the source needs a model `models` lacks, or trimaps are asked
// for without matting.
PseudoExportResult exportPseudoLabels(TrainingModels& models,
                                      const std::shared_ptr<const VocDataset>& dataset,
                                      const ExperimentConfig& config, const torch::Device& device,
                                      const PseudoExportSettings& settings);

}  // namespace wsss
