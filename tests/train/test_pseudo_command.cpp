// `wsss pseudo` end to end on a tiny synthetic devkit: PNGs for every image of a split, the
// scores and the background-threshold sweep where masks exist, labels alone where they do not,
// and `supervision: pseudo_dir` training the segmentation head on the folder it wrote.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/core/mat.hpp>

#include "core/config/config_loader.h"
#include "data/data_options.h"
#include "data/image_io.h"
#include "data/label_png.h"
#include "data/voc_dataset.h"
#include "test_helpers.h"
#include "train/pseudo/pseudo_label_export.h"

namespace fs = std::filesystem;
using wsss::test::instantToyConfig;
using wsss::test::readText;
using wsss::test::runWsss;
using wsss::test::TempDir;

namespace {

std::vector<std::string> splitIds(const fs::path& root, const std::string& split) {
  wsss::DataOptions data;
  data.root = root.string();
  const wsss::VocDataset dataset(data, split);
  std::vector<std::string> ids;
  for (size_t index = 0; index < dataset.size(); ++index) ids.push_back(dataset.id(index));
  return ids;
}

// Every id has a label PNG of its image's size with values in 0..6 and 255.
void requireLabelsFor(const fs::path& labels, const fs::path& root,
                      const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    INFO(id);
    const fs::path file = labels / (id + ".png");
    REQUIRE(fs::exists(file));
    const cv::Mat label = wsss::readLabelPng(file.string());
    const cv::Mat image = wsss::readRgbImage((root / "JPEGImages" / (id + ".jpg")).string());
    CHECK(label.size() == image.size());
    const cv::Mat outside = (label > 6) & (label != 255);
    CHECK(cv::countNonZero(outside) == 0);
  }
}

}  // namespace

TEST_CASE("the background threshold sweep: top present class at or above it, else background",
          "[pseudo]") {
  const torch::Tensor maps = torch::tensor({0.1f, 0.5f, 0.3f, 0.0f, 0.0f, 0.2f}).view({1, 2, 1, 3});
  CHECK(wsss::backgroundThresholdLabels(maps, 0.25).equal(torch::tensor({{{0L, 1L, 1L}}})));
  CHECK(wsss::backgroundThresholdLabels(maps, 0.4).equal(torch::tensor({{{0L, 1L, 0L}}})));
  const auto sweep = wsss::backgroundThresholdSweep();
  REQUIRE(sweep.size() == 19);
  CHECK(sweep.front() == Approx(0.05));
  CHECK(sweep.back() == Approx(0.95));
}

TEST_CASE("pseudo_dir needs pseudo.dir, and cci keys are checked", "[pseudo][config]") {
  const auto load = [](const std::string& yaml) {
    return wsss::readConfigText<wsss::ExperimentConfig>(yaml, "test");
  };
  CHECK_THROWS_WITH(load("supervision: pseudo_dir\n"),
                    Catch::Contains("pseudo.dir") && Catch::Contains("wsss pseudo"));
  CHECK_NOTHROW(load("supervision: pseudo_dir\npseudo:\n  dir: labels\n"));
  CHECK_THROWS_WITH(load("cci:\n  mode: hidden\n"), Catch::Contains("cci.mode"));
  CHECK_THROWS_WITH(load("cci:\n  scales: []\n"), Catch::Contains("cci.scales"));
  CHECK_THROWS_WITH(load("cci:\n  erase_threshold: 1.5\n"), Catch::Contains("cci.erase_threshold"));
  const wsss::CciOptions defaults;
  CHECK(wsss::choiceName(defaults.mode) == "class");
  CHECK(defaults.split);
  CHECK(defaults.buffers == std::vector<int64_t>{10, 20});
  CHECK(defaults.rounds == 5);
  CHECK(defaults.eraseThreshold == 0.7);
  CHECK(defaults.stopFraction == 0.02);
  CHECK(defaults.scales == std::vector<double>{1.0, 0.5, 1.5, 2.0});
  CHECK(defaults.flip);
}

TEST_CASE("wsss pseudo labels a split with CCI, scores it, and pseudo_dir trains on the labels",
          "[pseudo][train]") {
  TempDir dir("pseudo_run");
  const std::string config = instantToyConfig(dir, 2);
  const fs::path run = dir / "run";
  const auto trained = runWsss("train --config " + config + " --work-dir " + run.string());
  INFO(trained.output);
  REQUIRE(trained.exitCode == 0);
  const std::string checkpoint = (run / "checkpoints/last.pt").string();
  // Two scales and the flip keep every path of F(x) in play at a test's cost.
  const std::string fast = " cci.scales=[1,0.5] cci.rounds=2";

  const fs::path work = dir / "pseudo";
  const auto labelled = runWsss("pseudo --config " + config + " --checkpoint " + checkpoint +
                                " --split train_aug --work-dir " + work.string() + fast);
  INFO(labelled.output);
  REQUIRE(labelled.exitCode == 0);
  const auto trainIds = splitIds(dir / "toy", "train_aug");
  requireLabelsFor(work / "labels", dir / "toy", trainIds);
  CHECK(labelled.output.find("mIoU") != std::string::npos);
  CHECK(labelled.output.find("<- best") != std::string::npos);
  const auto metrics = nlohmann::ordered_json::parse(readText(work / "metrics.json"));
  CHECK(metrics.at("mIoU").is_number());
  const auto& sweep = metrics.at("bg_threshold_sweep");
  REQUIRE(sweep.size() == 19);
  CHECK(sweep.at(0).at("threshold") == 0.05);
  CHECK(sweep.at(2).at("threshold") == 0.15);  // without the float noise of 0.05 * 3
  CHECK(sweep.at(0).at("mIoU").is_number());
  CHECK(metrics.at("best_bg_threshold").is_number());
  CHECK(metrics.at("images") == 16);
  CHECK(metrics.at("images_per_second").get<double>() > 0);
  CHECK(metrics.at("cci_mode") == "class");
  CHECK(metrics.at("cci_scales") == nlohmann::ordered_json::array({1.0, 0.5}));
  CHECK(fs::exists(work / "config.yaml"));

  SECTION("a split without masks gets labels but no scores") {
    const fs::path test = dir / "pseudo-test";
    const auto unscored =
        runWsss("pseudo --config " + config + " --checkpoint " + checkpoint +
                " --split test --work-dir " + test.string() + " cci.mode=agnostic" + fast);
    INFO(unscored.output);
    REQUIRE(unscored.exitCode == 0);
    requireLabelsFor(test / "labels", dir / "toy", splitIds(dir / "toy", "test"));
    CHECK(std::distance(fs::directory_iterator(test / "labels"), fs::directory_iterator()) == 2);
    const auto unscoredMetrics = nlohmann::ordered_json::parse(readText(test / "metrics.json"));
    CHECK_FALSE(unscoredMetrics.contains("mIoU"));
    CHECK(unscoredMetrics.at("images") == 2);
    CHECK(unscoredMetrics.at("cci_mode") == "agnostic");
  }

  SECTION("with pseudo.refine the CCI maps are refined with the image before the thresholds") {
    const fs::path refined = dir / "pseudo-refined";
    const auto run = runWsss("pseudo --config " + config + " --checkpoint " + checkpoint +
                             " --split train_aug --work-dir " + refined.string() + fast +
                             " pseudo.refine=true refine.iterations=2");
    INFO(run.output);
    REQUIRE(run.exitCode == 0);
    requireLabelsFor(refined / "labels", dir / "toy", trainIds);
    CHECK(nlohmann::ordered_json::parse(readText(refined / "metrics.json")).at("refine") == true);
    bool anyDifferent = false;
    for (const std::string& id : trainIds) {
      const cv::Mat plain = wsss::readLabelPng((work / "labels" / (id + ".png")).string());
      const cv::Mat withImage = wsss::readLabelPng((refined / "labels" / (id + ".png")).string());
      anyDifferent = anyDifferent || cv::countNonZero(plain != withImage) > 0;
    }
    CHECK(anyDifferent);
  }

  SECTION("pseudo_dir trains the segmentation head on the written labels from the first step") {
    const fs::path second = dir / "second";
    const auto stage = runWsss("train --config " + config + " --work-dir " + second.string() +
                               " supervision=pseudo_dir pseudo.dir=" + (work / "labels").string());
    INFO(stage.output);
    REQUIRE(stage.exitCode == 0);
    const std::string curve = readText(second / "metrics.jsonl");
    CHECK(curve.find("\"seg\":") != std::string::npos);
    CHECK(readText(second / "config.yaml").find("supervision: pseudo_dir") != std::string::npos);
  }

  SECTION("pseudo_dir refuses a folder that does not exist, before anything is written") {
    const auto refused =
        runWsss("train --config " + config + " --work-dir " + (dir / "nofolder").string() +
                " supervision=pseudo_dir pseudo.dir=" + (dir / "no-such-labels").string());
    CHECK(refused.exitCode != 0);
    CHECK(refused.output.find("no-such-labels is not a folder") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "nofolder" / "checkpoints"));
  }

  SECTION("pseudo_dir names the images without a label and says how to make them") {
    fs::remove(work / "labels" / (trainIds[3] + ".png"));
    const auto refused =
        runWsss("train --config " + config + " --work-dir " + (dir / "refused").string() +
                " supervision=pseudo_dir pseudo.dir=" + (work / "labels").string());
    CHECK(refused.exitCode != 0);
    CHECK(refused.output.find(trainIds[3]) != std::string::npos);
    CHECK(refused.output.find("wsss pseudo") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "refused" / "checkpoints"));
  }

  SECTION("SupportNet's maps cannot be CCI's source, and nothing is written") {
    const auto refused =
        runWsss("pseudo --config " + config + " --checkpoint " + checkpoint + " --work-dir " +
                (dir / "support").string() + " pseudo.source=support support.mode=ema");
    CHECK(refused.exitCode != 0);
    CHECK(refused.output.find("pseudo.source=cam") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "support"));
  }

  SECTION("a checkpoint of another network is refused") {
    const auto refused = runWsss("pseudo --config " + config + " --checkpoint " + checkpoint +
                                 " --work-dir " + (dir / "other").string() + " model.embed_dim=32");
    CHECK(refused.exitCode != 0);
    CHECK(refused.output.find("embed_dim") != std::string::npos);
  }
}
