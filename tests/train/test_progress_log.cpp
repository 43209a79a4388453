// The progress line and metrics.jsonl: durations, the line's fields, and the lines a resume
// drops.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

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
    log.recordEvaluation(4, {{"split", "val"}, {"mIoU", 40.5}});
    const std::string line = log.progressLine({5, {{"cls", 0.5}, {"total", 0.5}}, 0.01, 12.0});
    CHECK(line.find("iteration 5/10") != std::string::npos);
    CHECK(line.find("eta ") != std::string::npos);
    CHECK(line.find("cls 0.5000") != std::string::npos);
    CHECK(line.find("lr 1.00e-02") != std::string::npos);
    CHECK(line.find("12.0 img/s") != std::string::npos);
  }
  const std::string written = readText(path);
  CHECK(written.find("{\"iteration\":1,\"loss\":{\"cls\":0.5,\"total\":0.5},"
                     "\"lr\":0.01,\"images_per_s\":12.0}\n") != std::string::npos);
  CHECK(written.find("{\"iteration\":4,\"eval\":{\"split\":\"val\",\"mIoU\":40.5}}\n") !=
        std::string::npos);
  { wsss::ProgressLog resumed(path, 10, 3); }
  const std::string kept = readText(path);
  CHECK(kept.find("\"iteration\":3,") != std::string::npos);
  CHECK(kept.find("\"iteration\":4,") == std::string::npos);
  CHECK(kept.find("\"iteration\":5,") == std::string::npos);
}

TEST_CASE("a resume also drops steps after its checkpoint in lines that are not JSON",
          "[progress]") {
  TempDir dir("progress_old_lines");
  const std::string path = (dir / "metrics.jsonl").string();
  // An older wsss wrote spaces and NaN tokens; a kill can cut the last line short.
  writeText(path,
            "{\"iteration\": 1, \"loss\": {\"cls\": NaN}, \"lr\": 0.01, \"images_per_s\": 3}\n"
            "{\"iteration\": 2, \"loss\": {\"cls\": NaN}, \"lr\": 0.01, \"images_per_s\": 3}\n"
            "{\"iteration\":2,\"eval\":{\"mIoU\":1.5}}\n"
            "{\"iteration\":3,\"loss\":{\"cls\":0.5,\"to\n");
  { wsss::ProgressLog resumed(path, 10, 1); }
  CHECK(readText(path) ==
        "{\"iteration\": 1, \"loss\": {\"cls\": NaN}, \"lr\": 0.01, \"images_per_s\": 3}\n");
}

TEST_CASE("metrics.jsonl keeps 9 significant digits of a step and 6 of an evaluation",
          "[progress]") {
  TempDir dir("progress_digits");
  const std::string path = (dir / "metrics.jsonl").string();
  {
    wsss::ProgressLog log(path, 10, -1);
    // A float32 loss: its 9 digits tell it exactly, more would print the double's noise.
    log.recordStep({1, {{"cls", static_cast<double>(0.1f)}, {"total", 1.0 / 3.0}}, 1e-5, 30.25});
    log.recordEvaluation(1, {{"split", "val"},
                             {"mIoU", 100.0 / 3.0},
                             {"per_class", nlohmann::ordered_json::array({2.0 / 3.0})}});
  }
  const std::string written = readText(path);
  INFO(written);
  CHECK(written.find("\"cls\":0.100000001,\"total\":0.333333333}") != std::string::npos);
  CHECK(written.find("\"lr\":1e-05,\"images_per_s\":30.25}") != std::string::npos);
  CHECK(written.find("\"mIoU\":33.3333,\"per_class\":[0.666667]") != std::string::npos);
  // Read back, the value is the float itself.
  const auto first = nlohmann::json::parse(written.substr(0, written.find('\n')));
  CHECK(static_cast<float>(first["loss"]["cls"].get<double>()) == 0.1f);
}

TEST_CASE("a non-finite value is written as null", "[progress]") {
  TempDir dir("progress_nan");
  const std::string path = (dir / "metrics.jsonl").string();
  {
    wsss::ProgressLog log(path, 10, -1);
    log.recordStep({1, {{"cls", std::nan("")}, {"total", INFINITY}}, 0.01, 1.0});
    log.recordEvaluation(1, {{"mIoU", std::nan("")}});
  }
  const std::string written = readText(path);
  CHECK(written.find("\"loss\":{\"cls\":null,\"total\":null}") != std::string::npos);
  CHECK(written.find("\"eval\":{\"mIoU\":null}") != std::string::npos);
}

TEST_CASE("a metrics line that cannot be written stops the run, naming the file", "[progress]") {
  // /dev/full takes the open and fails every write with ENOSPC, as a full disk does.
  if (!std::filesystem::exists("/dev/full")) return;
  wsss::ProgressLog step("/dev/full", 10, -1);
  CHECK_THROWS_WITH(step.recordStep({1, {{"total", 0.5}}, 0.01, 12.0}),
                    Catch::Contains("cannot append to /dev/full (is the disk full?)") &&
                        Catch::Contains("continue with --resume"));
  wsss::ProgressLog evaluation("/dev/full", 10, -1);
  CHECK_THROWS_WITH(evaluation.recordEvaluation(4, {{"split", "val"}, {"mIoU", 40.5}}),
                    Catch::Contains("cannot append to /dev/full"));
}
