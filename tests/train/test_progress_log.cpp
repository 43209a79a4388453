// The progress line and metrics.jsonl: durations, the line's fields, and the lines a resume
// drops.
#include <catch2/catch.hpp>

#include "test_helpers.h"
#include "train/loop/progress_log.h"

using wsss::test::readText;
using wsss::test::TempDir;
using wsss::test::writeText;

TEST_CASE("durations read as hours, minutes or seconds", "[progress]") {
  CHECK(wsss::formatDuration(0) == "0s");
  CHECK(wsss::formatDuration(45.4) == "45s");
  CHECK(wsss::formatDuration(192) == "3m12s");
  CHECK(wsss::formatDuration(3720) == "1h02m");
  CHECK(wsss::formatDuration(-5) == "0s");
}

TEST_CASE("metrics.jsonl gets every step - a resume drops the steps after its checkpoint",
          "[progress]") {
  TempDir dir("progress");
  const std::string path = (dir / "metrics.jsonl").string();
  {
    wsss::ProgressLog log(path, 10, -1);
    for (int64_t iteration = 1; iteration <= 5; ++iteration) {
      log.recordStep({iteration, {{"cls", 0.5}, {"total", 0.5}}, 0.01, 12.0});
    }
    log.recordEvaluation(4, "\"mIoU\": 40.5");
    const std::string line = log.progressLine({5, {{"cls", 0.5}, {"total", 0.5}}, 0.01, 12.0});
    CHECK(line.find("iteration 5/10") != std::string::npos);
    CHECK(line.find("eta ") != std::string::npos);
    CHECK(line.find("cls 0.5000") != std::string::npos);
    CHECK(line.find("lr 1.00e-02") != std::string::npos);
    CHECK(line.find("12.0 img/s") != std::string::npos);
  }
  CHECK(readText(path).find("{\"iteration\": 1, \"loss\": {\"cls\": 0.5, \"total\": 0.5}, "
                            "\"lr\": 0.01, \"images_per_s\": 12}") != std::string::npos);
  { wsss::ProgressLog resumed(path, 10, 3); }
  const std::string kept = readText(path);
  CHECK(kept.find("\"iteration\": 3,") != std::string::npos);
  CHECK(kept.find("\"iteration\": 4,") == std::string::npos);
  CHECK(kept.find("\"iteration\": 5,") == std::string::npos);
}

TEST_CASE("a non-finite loss is written as a JSON-readable token", "[progress]") {
  TempDir dir("progress_nan");
  const std::string path = (dir / "metrics.jsonl").string();
  {
    wsss::ProgressLog log(path, 10, -1);
    log.recordStep({1, {{"cls", std::nan("")}, {"total", INFINITY}}, 0.01, 1.0});
  }
  CHECK(readText(path).find("\"cls\": NaN, \"total\": Infinity") != std::string::npos);
}
