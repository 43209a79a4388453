#include "train/evaluation/evaluation_report.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <locale>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/json_format.h"

namespace wsss {

namespace {

void checkNames(const SegmentationScores& scores, const std::vector<std::string>& classNames) {
  WSSS_CHECK(classNames.size() == scores.iou.size(), "evaluation report: ", classNames.size(),
             " class names for ", scores.iou.size(), " classes (background first)");
}

// A fraction as a percentage with 2 decimals for the table; "-" for NaN.
std::string percent(double fraction) {
  if (!std::isfinite(fraction)) return "-";
  std::ostringstream text;
  text.imbue(std::locale::classic());  // a decimal point whatever the user's locale
  text << std::fixed << std::setprecision(2) << 100.0 * fraction;
  return text.str();
}

}  // namespace

std::string formatScoresTable(const SegmentationScores& scores,
                              const std::vector<std::string>& classNames) {
  checkNames(scores, classNames);
  const std::vector<std::pair<std::string, double>> summary = {
      {"mIoU", scores.meanIou},
      {"pixel accuracy", scores.pixelAccuracy},
      {"mean class accuracy", scores.meanClassAccuracy}};
  size_t width = std::string("class").size();
  for (const auto& name : classNames) width = std::max(width, name.size());
  for (const auto& [name, value] : summary) width = std::max(width, name.size());
  width += 2;

  std::ostringstream table;
  const auto line = [&](const std::string& name, const std::string& value) {
    table << std::left << std::setw(static_cast<int>(width)) << name << std::right << std::setw(7)
          << value << "\n";
  };
  line("class", "IoU %");
  for (size_t c = 0; c < classNames.size(); ++c)
    line(classNames[c], percent(scores.iou[c]));
  table << std::string(width + 7, '-') << "\n";
  for (const auto& [name, value] : summary) line(name, percent(value));
  if (scores.undecidedPixels > 0) {
    int64_t labelled = 0;
    for (int64_t pixels : scores.groundTruthPixels) labelled += pixels;
    const double share = static_cast<double>(scores.undecidedPixels) /
                         static_cast<double>(std::max<int64_t>(labelled, 1));
    table << "undecided pixels: " << scores.undecidedPixels << " (" << percent(share)
          << " % of labelled pixels, counted as misses)\n";
  }
  return table.str();
}

nlohmann::ordered_json jsonPercent(double fraction) {
  if (!std::isfinite(fraction)) return nullptr;
  return roundedToDecimals(100.0 * fraction, 4);
}

nlohmann::ordered_json scoresJson(
    const SegmentationScores& scores, const std::vector<std::string>& classNames,
    const std::vector<std::pair<std::string, nlohmann::ordered_json>>& extraFields) {
  checkNames(scores, classNames);
  nlohmann::ordered_json json = {{"mIoU", jsonPercent(scores.meanIou)},
                                 {"pixel_accuracy", jsonPercent(scores.pixelAccuracy)},
                                 {"mean_class_accuracy", jsonPercent(scores.meanClassAccuracy)},
                                 {"undecided_pixels", scores.undecidedPixels}};
  nlohmann::ordered_json perClass = nlohmann::ordered_json::object();
  for (size_t c = 0; c < classNames.size(); ++c) {
    perClass[classNames[c]] = jsonPercent(scores.iou[c]);
  }
  json["per_class"] = perClass;
  const std::set<std::string> fixedKeys = {"mIoU", "pixel_accuracy", "mean_class_accuracy",
                                           "undecided_pixels", "per_class"};
  for (const auto& [key, value] : extraFields) {
    WSSS_CHECK(!fixedKeys.count(key), "evaluation report: the extra field '", key,
               "' would replace a score of the same name");
    WSSS_CHECK(!json.contains(key), "evaluation report: the extra field '", key,
               "' is given twice");
    json[key] = value;
  }
  return json;
}

std::string formatBoundaryLine(const SegmentationScores& scores, int64_t width) {
  std::ostringstream line;
  line << std::fixed << std::setprecision(2) << "boundary band (" << width << " px): mIoU "
       << 100.0 * scores.meanIou << " %, pixel accuracy " << 100.0 * scores.pixelAccuracy
       << " %\n";
  return line.str();
}

std::pair<std::string, nlohmann::ordered_json> boundaryField(
    const SegmentationScores& scores, const std::vector<std::string>& classNames, int64_t width) {
  nlohmann::ordered_json band = {{"band_px", width}};
  band.update(scoresJson(scores, classNames));
  return {"boundary", band};
}

}  // namespace wsss
