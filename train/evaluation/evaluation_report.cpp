#include "train/evaluation/evaluation_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <locale>
#include <set>
#include <sstream>

#include "core/error.h"

namespace wsss {

namespace {

void checkNames(const SegmentationScores& scores, const std::vector<std::string>& classNames) {
  WSSS_CHECK(classNames.size() == scores.iou.size(), "evaluation report: ", classNames.size(),
             " class names for ", scores.iou.size(), " classes (background first)");
}

// A fraction as a percentage with fixed decimals; "-" (table) or "null" (JSON) for NaN.
std::string percent(double fraction, int decimals, const char* missing) {
  if (!std::isfinite(fraction)) return missing;
  std::ostringstream text;
  text.imbue(std::locale::classic());  // a decimal point whatever the user's locale
  text << std::fixed << std::setprecision(decimals) << 100.0 * fraction;
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
    line(classNames[c], percent(scores.iou[c], 2, "-"));
  table << std::string(width + 7, '-') << "\n";
  for (const auto& [name, value] : summary) line(name, percent(value, 2, "-"));
  if (scores.undecidedPixels > 0) {
    int64_t labelled = 0;
    for (int64_t pixels : scores.groundTruthPixels) labelled += pixels;
    const double share = static_cast<double>(scores.undecidedPixels) /
                         static_cast<double>(std::max<int64_t>(labelled, 1));
    table << "undecided pixels: " << scores.undecidedPixels << " (" << percent(share, 2, "-")
          << " % of labelled pixels, counted as misses)\n";
  }
  return table.str();
}

std::string jsonPercent(double fraction) { return percent(fraction, 4, "null"); }

std::string jsonNumberList(const std::vector<double>& values) {
  std::ostringstream list;
  list << "[";
  for (size_t index = 0; index < values.size(); ++index)
    list << (index ? ", " : "") << values[index];
  return list.str() + "]";
}

std::string jsonString(const std::string& text) {
  std::string quoted = "\"";
  for (const char character : text) {
    const auto byte = static_cast<unsigned char>(character);
    if (character == '"' || character == '\\') {
      quoted += '\\';
      quoted += character;
    } else if (byte < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", byte);
      quoted += escaped;
    } else {
      quoted += character;  // UTF-8 passes through unchanged
    }
  }
  return quoted + "\"";
}

std::string scoresJson(const SegmentationScores& scores, const std::vector<std::string>& classNames,
                       const std::vector<std::pair<std::string, std::string>>& extraFields) {
  checkNames(scores, classNames);
  const std::set<std::string> fixedKeys = {"mIoU", "pixel_accuracy", "mean_class_accuracy",
                                           "undecided_pixels", "per_class"};
  std::set<std::string> extraKeys;
  for (const auto& [key, value] : extraFields) {
    WSSS_CHECK(!fixedKeys.count(key), "evaluation report: the extra field '", key,
               "' would replace a score of the same name");
    WSSS_CHECK(extraKeys.insert(key).second, "evaluation report: the extra field '", key,
               "' is given twice");
    WSSS_CHECK(!value.empty(), "evaluation report: the extra field '", key, "' has no value");
  }

  std::ostringstream json;
  json << "{\n";
  json << "  \"mIoU\": " << percent(scores.meanIou, 4, "null") << ",\n";
  json << "  \"pixel_accuracy\": " << percent(scores.pixelAccuracy, 4, "null") << ",\n";
  json << "  \"mean_class_accuracy\": " << percent(scores.meanClassAccuracy, 4, "null") << ",\n";
  json << "  \"undecided_pixels\": " << scores.undecidedPixels << ",\n";
  json << "  \"per_class\": {";
  for (size_t c = 0; c < classNames.size(); ++c) {
    json << (c ? ",\n" : "\n") << "    " << jsonString(classNames[c]) << ": "
         << percent(scores.iou[c], 4, "null");
  }
  json << "\n  }";
  for (const auto& [key, value] : extraFields) {
    json << ",\n  " << jsonString(key) << ": " << value;
  }
  json << "\n}\n";
  return json.str();
}

}  // namespace wsss
