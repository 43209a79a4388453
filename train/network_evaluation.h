#pragma once
// Scoring a network on a split: what `wsss eval` runs and what training runs every
// train.eval_interval steps. The segmentation head is scored with the `eval:` inference
// (scales, flip); `cam` scores the pseudo-labels the training loop would make instead.
#include <memory>
#include <string>
#include <vector>

#include "data/voc_dataset.h"
#include "train/confusion_matrix.h"
#include "train/training_models.h"

namespace wsss {

struct ExperimentConfig;

struct EvaluationTarget {
  std::string target = "seg";  // seg | cam
  std::string savePngDir;      // "" = no PNGs
  bool showProgress = false;   // a line every few hundred images
};

// Scores MainNet's segmentation head, or the pseudo-labels of pseudo.source (SupportNet's
// maps need models.support). Leaves the network in the training mode it was in.
SegmentationScores evaluateNetwork(TrainingModels& models,
                                   const std::shared_ptr<const VocDataset>& dataset,
                                   const ExperimentConfig& config, const torch::Device& device,
                                   const EvaluationTarget& target);

// "background" followed by the dataset's classes.
std::vector<std::string> classNamesWithBackground(const VocDataset& dataset);

}  // namespace wsss
