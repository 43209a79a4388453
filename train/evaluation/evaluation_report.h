#pragma once
// Scores in the two forms people read them: a table for the log and metrics.json for tools.
#include <string>
#include <utility>
#include <vector>

#include "train/evaluation/confusion_matrix.h"

namespace wsss {

// The per-class table: class name and IoU % per line ("-" for a class in neither the ground
// truth nor the prediction), then lines for mIoU, pixel accuracy and mean class accuracy, and
// one for undecided pixels when there are any. `classNames` holds K names, background first.
std::string formatScoresTable(const SegmentationScores& scores,
                              const std::vector<std::string>& classNames);

// A JSON object, percentages with 4 decimals, null for NaN:
//   {"mIoU": 62.1234, "pixel_accuracy": ..., "mean_class_accuracy": ..., "undecided_pixels": N,
//    "per_class": {"background": 88.1, "aeroplane": null, ...}, <extra fields in order>}
// `extraFields` are (key, value already written as JSON), e.g. {"split", "\"val\""}; a key
// that repeats a fixed one is an error.
std::string scoresJson(const SegmentationScores& scores, const std::vector<std::string>& classNames,
                       const std::vector<std::pair<std::string, std::string>>& extraFields = {});

// A fraction as a JSON percentage with 4 decimals (null for NaN), as scoresJson writes them.
std::string jsonPercent(double fraction);

// Numbers as a JSON list: [1, 0.5].
std::string jsonNumberList(const std::vector<double>& values);

// `text` as a JSON string literal, quotes included.
std::string jsonString(const std::string& text);

}  // namespace wsss
