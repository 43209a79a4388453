#pragma once
// Scoring a network on a split: what `wsss eval` runs and what training runs every
// train.eval_interval steps. The segmentation head is scored with the `eval:` inference
// (scales, flip); `cam` scores the pseudo-labels the training loop would make instead.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/config/choice.h"
#include "data/voc_dataset.h"
#include "train/evaluation/confusion_matrix.h"
#include "train/evaluation/evaluator.h"
#include "train/training_models.h"

namespace wsss {

struct ExperimentConfig;
class DistributedGroup;

// What evaluation scores: the segmentation head, or the pseudo-labels the training step makes
// (pseudo.source through the refiners; `cam` is the older word for it).
enum class ScoredMaps { Seg, Pseudo, Cam };
inline const ChoiceNames<ScoredMaps>& choiceNames(ScoredMaps) {
  static const ChoiceNames<ScoredMaps> names = {
      {ScoredMaps::Seg, "seg"}, {ScoredMaps::Pseudo, "pseudo"}, {ScoredMaps::Cam, "cam"}};
  return names;
}

// Whether `target` scores the step's pseudo-labels.
inline bool scoresPseudoLabels(ScoredMaps target) { return target != ScoredMaps::Seg; }

struct EvaluationTarget {
  ScoredMaps target = ScoredMaps::Seg;
  std::string savePngDir;     // "" = no PNGs
  bool showProgress = false;  // a line every few hundred images
  int64_t boundaryBand = 0;   // > 0: also score the pixels this close to an edge of the masks
  // The job's ranks: each scores images rank, rank + N, ... and the counts are summed, so every
  // rank returns the single-process scores. Null: this process scores the whole split.
  std::shared_ptr<DistributedGroup> group;
};

// Scores MainNet's segmentation head, or the pseudo-labels of pseudo.source (SupportNet's
// maps need models.support; the points source, the split's clicks: evaluationDataOptions).
// With target.boundaryBand, the band is scored too. Leaves the network in the training mode it
// was in.
SplitScores evaluateNetwork(TrainingModels& models,
                            const std::shared_ptr<const VocDataset>& dataset,
                            const ExperimentConfig& config, const torch::Device& device,
                            const EvaluationTarget& target);

// The data options to read a split for `target`: config.data, reading the clicks of
// data.points_file when the scored pseudo-labels are made from them.
DataOptions evaluationDataOptions(const ExperimentConfig& config, ScoredMaps target);

// "background" followed by the dataset's classes.
std::vector<std::string> classNamesWithBackground(const VocDataset& dataset);

}  // namespace wsss
