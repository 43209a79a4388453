// The score table for the log and the metrics.json text.
#include <catch2/catch.hpp>
#include <limits>

#include "core/json_format.h"
#include "train/evaluation/evaluation_report.h"

using Catch::Contains;

namespace {

wsss::SegmentationScores threeClasses() {
  wsss::SegmentationScores scores;
  scores.iou = {0.9, std::numeric_limits<double>::quiet_NaN(), 0.123456};
  scores.groundTruthPixels = {90, 0, 10};
  scores.meanIou = (0.9 + 0.123456) / 2;
  scores.pixelAccuracy = 0.95;
  scores.meanClassAccuracy = 0.5;
  return scores;
}

const std::vector<std::string> kNames = {"background", "cat", "dog \"rex\""};

}  // namespace

TEST_CASE("evaluation report: the table lists every class, then the means", "[report]") {
  auto scores = threeClasses();
  const std::string table = wsss::formatScoresTable(scores, kNames);
  CHECK_THAT(table, Contains("background") && Contains("90.00"));
  CHECK_THAT(table, Contains("12.35"));
  CHECK_THAT(table, Contains("mIoU") && Contains("51.17"));
  CHECK_THAT(table, Contains("pixel accuracy") && Contains("95.00"));
  CHECK_THAT(table, !Contains("undecided"));
  // The class in neither ground truth nor prediction shows as "-".
  const auto catLine =
      table.substr(table.find("cat"), table.find('\n', table.find("cat")) - table.find("cat"));
  CHECK(catLine.back() == '-');

  scores.undecidedPixels = 5;
  CHECK_THAT(wsss::formatScoresTable(scores, kNames), Contains("undecided pixels: 5 (5.00 %"));
  CHECK_THROWS_WITH(wsss::formatScoresTable(scores, {"background"}), Contains("1 class names"));
}

TEST_CASE("evaluation report: metrics.json fields, nulls and extra fields", "[report]") {
  const nlohmann::ordered_json json = wsss::scoresJson(
      threeClasses(), kNames, {{"split", "val"}, {"scales", std::vector<double>{1, 0.75}}});
  CHECK(wsss::jsonFileText(json) ==
        "{\n"
        "  \"mIoU\": 51.1728,\n"
        "  \"pixel_accuracy\": 95.0,\n"
        "  \"mean_class_accuracy\": 50.0,\n"
        "  \"undecided_pixels\": 0,\n"
        "  \"per_class\": {\n"
        "    \"background\": 90.0,\n"
        "    \"cat\": null,\n"
        "    \"dog \\\"rex\\\"\": 12.3456\n"
        "  },\n"
        "  \"split\": \"val\",\n"
        "  \"scales\": [\n"
        "    1.0,\n"
        "    0.75\n"
        "  ]\n"
        "}\n");
  CHECK_THROWS_WITH(wsss::scoresJson(threeClasses(), kNames, {{"mIoU", 1}}), Contains("'mIoU'"));
  CHECK_THROWS_WITH(wsss::scoresJson(threeClasses(), kNames, {{"a", 1}, {"a", 2}}),
                    Contains("twice"));
}

TEST_CASE("evaluation report: percentages keep 4 decimals, NaN is null", "[report]") {
  CHECK(wsss::jsonPercent(0.123456789).dump() == "12.3457");
  CHECK(wsss::jsonPercent(1.0 / 3.0).dump() == "33.3333");
  CHECK(wsss::jsonPercent(1).dump() == "100.0");
  CHECK(wsss::jsonPercent(std::numeric_limits<double>::quiet_NaN()).is_null());
}
