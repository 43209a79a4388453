#pragma once
// What `wsss pseudo` runs: class-conditional inference (METHODS §2) over a split with a trained
// classifier, the pseudo-label engine's rule on the CCI maps (refined with the image first when
// pseudo.refine is on), one VOC-palette PNG per image, and, where the split has masks, the
// scores of those labels and of a sweep of a single background threshold on the raw maps.
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

// The sweep's background thresholds: 0.05, 0.10, ..., 0.95.
std::vector<double> backgroundThresholdSweep();

struct PseudoExportSettings {
  std::string labelDir;                 // <dir>/<id>.png; created
  std::vector<double> sweepThresholds;  // scored on the raw maps when the split has masks
  std::function<void(int64_t done, int64_t total)> progress;  // after every image
};

struct PseudoExportResult {
  int64_t images = 0;
  double seconds = 0;  // inference and label making, PNG writing and scoring included
  std::optional<SegmentationScores> scores;  // of the written labels; only with masks
  std::vector<SegmentationScores> sweep;     // per threshold: argmax of [τ, raw CCI maps]
};

// Labels from raw maps with one background threshold: the top present class where its map
// reaches `threshold`, background elsewhere. maps: B x C x H x W in [0, 1].
torch::Tensor backgroundThresholdLabels(const torch::Tensor& maps, double threshold);

// Throws wsss::Error unless pseudo.source is cam (CCI asks MainNet's classifier), saying how to
// switch it.
void checkCciSource(const ExperimentConfig& config);

// Runs CCI with MainNet's CAM on every image of `dataset` (whole, unaugmented; one image per
// forward batch, its crops, classes, scales and flips batched together) and writes the labels.
// Checks the source first (checkCciSource).
PseudoExportResult exportPseudoLabels(TrainingModels& models,
                                      const std::shared_ptr<const VocDataset>& dataset,
                                      const ExperimentConfig& config, const torch::Device& device,
                                      const PseudoExportSettings& settings);

}  // namespace wsss
