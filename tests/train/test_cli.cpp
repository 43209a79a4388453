// The `wsss` binary end to end: command dispatch, help, config printing and errors, and the
// toy-data -> data-check round trip a newcomer runs first.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_helpers.h"

namespace fs = std::filesystem;
using Catch::Contains;
using wsss::test::readText;
using wsss::test::runWsss;
using wsss::test::TempDir;
using wsss::test::writeText;

namespace {

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

// A config file pointing at `root`, written into `folder`.
fs::path writeExperiment(const fs::path& folder, const fs::path& root) {
  writeText(folder / "base.yaml", "seed: 3\ndata:\n  workers: 1\n  augment:\n    crop_size: 64\n");
  writeText(folder / "experiment.yaml", "base: base.yaml\ndata:\n  root: " + root.string() + "\n");
  return folder / "experiment.yaml";
}

}  // namespace

TEST_CASE("wsss lists its commands and each command has --help", "[cli]") {
  const auto overview = runWsss("--help");
  CHECK(overview.exitCode == 0);
  for (const char* command : {"toy-data", "data-check", "config", "bench"}) {
    CHECK_THAT(overview.output, Contains(command));
    const auto help = runWsss(std::string(command) + " --help");
    CHECK(help.exitCode == 0);
    CHECK_THAT(help.output, Contains(std::string("usage: wsss ") + command));
  }
  CHECK_THAT(runWsss("config --help").output, Contains("data.train_split"));
  CHECK_THAT(runWsss("toy-data --help").output, Contains("--out DIR"));
}

TEST_CASE("wsss rejects unknown commands, flags and stray words", "[cli]") {
  const auto unknown = runWsss("trian");
  CHECK(unknown.exitCode == 2);
  CHECK_THAT(unknown.output, Contains("unknown command 'trian'"));
  CHECK_THAT(unknown.output, Contains("data-check"));

  const auto badFlag = runWsss("config --confg x.yaml");
  CHECK(badFlag.exitCode == 1);
  CHECK_THAT(badFlag.output, Contains("unknown option --confg"));
  CHECK_THAT(badFlag.output, Contains("--config"));

  // config only prints: a work dir it would ignore is refused rather than silently unused.
  const auto ignoredWorkDir = runWsss("config --config x.yaml --work-dir runs/x");
  CHECK(ignoredWorkDir.exitCode == 1);
  CHECK_THAT(ignoredWorkDir.output, Contains("unknown option --work-dir"));

  const auto noConfig = runWsss("config");
  CHECK(noConfig.exitCode == 1);
  CHECK_THAT(noConfig.output, Contains("missing --config FILE"));

  const auto overridesOnToyData = runWsss("toy-data --out /tmp/x seed=1");
  CHECK(overridesOnToyData.exitCode == 1);
  CHECK_THAT(overridesOnToyData.output, Contains("takes no config overrides"));

  const auto badNumber = runWsss("toy-data --out /tmp/x --train many");
  CHECK(badNumber.exitCode == 1);
  CHECK_THAT(badNumber.output, Contains("--train: expected an integer, got 'many'"));
}

TEST_CASE("wsss config prints the effective config with bases and overrides", "[cli]") {
  TempDir dir("cli_config");
  const fs::path experiment = writeExperiment(dir.path(), "/data/voc");
  const auto result = runWsss("config --config " + quoted(experiment) +
                              " train.iterations=77 data.augment.scale_range=[0.5,1.5]");
  REQUIRE(result.exitCode == 0);
  CHECK_THAT(result.output, Contains("seed: 3"));
  CHECK_THAT(result.output, Contains("root: /data/voc"));
  CHECK_THAT(result.output, Contains("iterations: 77"));
  CHECK_THAT(result.output, Contains("crop_size: 64"));

  // What `config` prints loads back to the same effective config.
  writeText(dir / "printed.yaml", result.output);
  const auto again = runWsss("config --config " + quoted(dir / "printed.yaml"));
  REQUIRE(again.exitCode == 0);
  CHECK(again.output == result.output);
}

TEST_CASE("wsss config names bad keys, values and files", "[cli]") {
  TempDir dir("cli_errors");
  const fs::path experiment = writeExperiment(dir.path(), "/data/voc");

  const auto typo = runWsss("config --config " + quoted(experiment) + " data.rooot=/x");
  CHECK(typo.exitCode == 1);
  CHECK_THAT(typo.output, Contains("data.rooot"));
  CHECK_THAT(typo.output, Contains("did you mean data.root?"));

  const auto wrongType = runWsss("config --config " + quoted(experiment) + " train.iterations=abc");
  CHECK(wrongType.exitCode == 1);
  CHECK_THAT(wrongType.output, Contains("train.iterations"));

  const auto wrongChoice = runWsss("config --config " + quoted(experiment) + " device=tpu");
  CHECK(wrongChoice.exitCode == 1);
  CHECK_THAT(wrongChoice.output, Contains("cuda"));

  const auto missing = runWsss("config --config " + quoted(dir / "nowhere.yaml"));
  CHECK(missing.exitCode == 1);
  CHECK_THAT(missing.output, Contains("nowhere.yaml"));
}

TEST_CASE("toy-data writes a dataset that data-check finds clean, and faults make it fail",
          "[cli][toy]") {
  TempDir dir("cli_toy");
  const fs::path root = dir / "toy";
  const auto made = runWsss("toy-data --out " + quoted(root) + " --train 6 --val 3 --seed 1");
  REQUIRE(made.exitCode == 0);
  CHECK_THAT(made.output, Contains("6 training and 3 validation images"));
  const fs::path experiment = writeExperiment(dir.path(), root);

  const fs::path workDir = dir / "run";
  // With aamr on, the training split's saliency maps are checked too.
  const auto clean = runWsss("data-check --config " + quoted(experiment) +
                             " aamr.enabled=true --work-dir " + quoted(workDir));
  INFO(clean.output);
  CHECK(clean.exitCode == 0);
  CHECK_THAT(clean.output, Contains("train_aug: 6 images, saliency maps (aamr)"));
  CHECK_THAT(clean.output, Contains("clicks: not checked"));
  CHECK(fs::exists(workDir / "config.yaml"));
  CHECK(fs::exists(workDir / "data_check.txt"));
  CHECK_THAT(readText(workDir / "config.yaml"), Contains("aamr:\n  enabled: true"));

  // Truncate one training image: data-check names it and exits non-zero.
  std::string firstId;
  std::ifstream(root / "ImageSets/Segmentation/train_aug.txt") >> firstId;
  const fs::path image = root / "JPEGImages" / (firstId + ".jpg");
  const std::string bytes = readText(image);
  writeText(image, bytes.substr(0, bytes.size() / 2));
  const auto broken = runWsss("data-check --config " + quoted(experiment));
  CHECK(broken.exitCode == 1);
  CHECK_THAT(broken.output, Contains(firstId));
  CHECK_THAT(broken.output, Contains("unreadable_image"));
}

TEST_CASE("bench times the loader with each number of workers", "[cli][toy]") {
  TempDir dir("cli_bench");
  const fs::path root = dir / "toy";
  REQUIRE(runWsss("toy-data --out " + quoted(root) + " --train 8 --val 2").exitCode == 0);
  const fs::path experiment = writeExperiment(dir.path(), root);
  const auto bench = runWsss("bench --config " + quoted(experiment) +
                             " --batches 2 train.batch_size=2 data.workers=2");
  INFO(bench.output);
  REQUIRE(bench.exitCode == 0);
  CHECK_THAT(bench.output, Contains("images/s"));
  CHECK_THAT(bench.output, Contains("1.00x"));
  CHECK_THAT(bench.output, Contains("\n       2 "));
}

TEST_CASE("bench --json writes the rows it prints as JSON", "[cli][toy]") {
  TempDir dir("cli_bench_json");
  const fs::path root = dir / "toy";
  REQUIRE(runWsss("toy-data --out " + quoted(root) + " --train 8 --val 2").exitCode == 0);
  const fs::path experiment = writeExperiment(dir.path(), root);
  const fs::path json = dir / "out" / "bench.json";
  const auto bench = runWsss("bench --config " + quoted(experiment) + " --what train --batches 1 " +
                             "--json " + quoted(json) +
                             " device=cpu train.batch_size=2 model.backbone=scratch "
                             "model.scratch_width=8 model.embed_dim=16 model.seg_channels=16");
  INFO(bench.output);
  REQUIRE(bench.exitCode == 0);
  const std::string text = readText(json);
  INFO(text);
  CHECK(text.back() == '\n');
  const auto report = nlohmann::ordered_json::parse(text);
  CHECK(report.at("what") == "train");
  CHECK(report.at("backbone") == "scratch");
  CHECK(report.at("batch") == 2);
  CHECK(report.at("crop") == 64);
  CHECK(report.at("device") == "cpu");
  const auto& first = report.at("rows").at(0);
  std::vector<std::string> keys;
  for (const auto& item : first.items()) keys.push_back(item.key());
  CHECK(keys == std::vector<std::string>{"setting", "threads", "amp", "channels_last",
                                         "images_per_s", "peak_mib"});
  CHECK(first.at("setting") == "threads 1");
  CHECK(first.at("threads") == 1);
  CHECK(first.at("amp") == false);
  CHECK(first.at("images_per_s").get<double>() > 0);
  CHECK(first.at("peak_mib").is_null());

  // The loader's rows, one per number of workers.
  const auto loader = runWsss("bench --config " + quoted(experiment) + " --batches 1 --json " +
                              quoted(json) + " train.batch_size=2");
  INFO(loader.output);
  REQUIRE(loader.exitCode == 0);
  const auto loaderReport = nlohmann::ordered_json::parse(readText(json));
  CHECK(loaderReport.at("what") == "loader");
  CHECK(loaderReport.at("rows").at(1).at("workers") == 1);
  CHECK(loaderReport.at("rows").at(1).at("images_per_s").get<double>() > 0);
}
