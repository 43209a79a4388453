#pragma once
// Scoring a network on a split: what `wsss eval` runs and what training runs every
// train.eval_interval steps. The segmentation head is scored with the `eval:` inference
// (scales, flip); `cam` scores the pseudo-labels the training loop would make instead.
#include <memory>
#include <string>
#include <vector>

#include "core/config/choice.h"
#include "data/voc_dataset.h"
#include "train/evaluation/confusion_matrix.h"
#include "train/training_models.h"

namespace wsss {

struct ExperimentConfig;

// What evaluation scores: the segmentation head, or the pseudo-labels the training step makes.
enum class ScoredMaps { Seg, Cam };
inline const ChoiceNames<ScoredMaps>& choiceNames(ScoredMaps) {
  static const ChoiceNames<ScoredMaps> names = {{ScoredMaps::Seg, "seg"}, {ScoredMaps::Cam, "cam"}};
  return names;
}

struct EvaluationTarget {
  ScoredMaps target = ScoredMaps::Seg;
  std::string savePngDir;     // "" = no PNGs
  bool showProgress = false;  // a line every few hundred images
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
