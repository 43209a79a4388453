#pragma once
// Scores in the two forms people read them: a table for the log and metrics.json for tools.
#include <cstdint>
#include <nlohmann/json.hpp>
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

// A JSON object, percentages rounded to 4 decimals, null for NaN:
//   {"mIoU": 62.1234, "pixel_accuracy": ..., "mean_class_accuracy": ..., "undecided_pixels": N,
//    "per_class": {"background": 88.1, "aeroplane": null, ...}, <extra fields in order>}
// `extraFields` say what was scored, e.g. {{"split", "val"}, {"scales", {1.0, 0.75}}}; a key
// given twice or repeating a fixed one is an error. jsonFileText (core/json_format) writes it
// as metrics.json.
nlohmann::ordered_json scoresJson(
    const SegmentationScores& scores, const std::vector<std::string>& classNames,
    const std::vector<std::pair<std::string, nlohmann::ordered_json>>& extraFields = {});

// The scores of a boundary band for the log ("boundary band (5 px): mIoU 41.20 %, ...") and as
// the "boundary" field of metrics.json: scoresJson of the band with {"band_px": width} first.
std::string formatBoundaryLine(const SegmentationScores& scores, int64_t width);
std::pair<std::string, nlohmann::ordered_json> boundaryField(
    const SegmentationScores& scores, const std::vector<std::string>& classNames, int64_t width);

// A fraction as a percentage rounded to 4 decimals (null for NaN), as scoresJson writes them.
nlohmann::ordered_json jsonPercent(double fraction);

}  // namespace wsss
