// `wsss pseudo` end to end on a tiny synthetic devkit: PNGs for every image of a split, the
// scores and the background-threshold sweep where masks exist, labels alone where they do not,
// and `supervision: pseudo_dir` training the segmentation head on the folder it wrote.
#include <torch/torch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
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

  SECTION("SupportNet's maps need SupportNet's weights in the checkpoint, and nothing is written") {
    const auto refused =
        runWsss("pseudo --config " + config + " --checkpoint " + checkpoint + " --work-dir " +
                (dir / "support").string() + " pseudo.source=support support.mode=ema");
    CHECK(refused.exitCode != 0);
    CHECK(refused.output.find("has no SupportNet weights") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "support"));
  }

  SECTION("trimaps are asked for without matting: refused, and nothing is written") {
    const auto refused = runWsss("pseudo --config " + config + " --checkpoint " + checkpoint +
                                 " --work-dir " + (dir / "notrimaps").string() +
                                 " --save-trimaps " + (dir / "trimaps").string());
    CHECK(refused.exitCode != 0);
    CHECK(refused.output.find("matting.enabled=true") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "notrimaps"));
    CHECK_FALSE(fs::exists(dir / "trimaps"));
  }

  SECTION("a checkpoint of another network is refused") {
    const auto refused = runWsss("pseudo --config " + config + " --checkpoint " + checkpoint +
                                 " --work-dir " + (dir / "other").string() + " model.embed_dim=32");
    CHECK(refused.exitCode != 0);
    CHECK(refused.output.find("embed_dim") != std::string::npos);
  }
}

TEST_CASE("wsss pseudo labels with the step's D2CAM source, mats the maps and writes the trimaps",
          "[pseudo][matting]") {
  TempDir dir("pseudo_d2cam");
  const std::string config = instantToyConfig(dir, 2);
  const std::string d2cam = " model.cam_head=d2cam pseudo.source=d2cam";
  const fs::path run = dir / "run";
  const auto trained = runWsss("train --config " + config + " --work-dir " + run.string() + d2cam);
  INFO(trained.output);
  REQUIRE(trained.exitCode == 0);
  const std::string checkpoint = (run / "checkpoints/last.pt").string();

  const fs::path work = dir / "pseudo";
  const fs::path trimaps = dir / "trimaps";
  const auto labelled = runWsss("pseudo --config " + config + " --checkpoint " + checkpoint +
                                " --split train_aug --work-dir " + work.string() +
                                " --save-trimaps " + trimaps.string() + " --boundary-band 3" +
                                d2cam + " matting.enabled=true");
  INFO(labelled.output);
  REQUIRE(labelled.exitCode == 0);
  const auto ids = splitIds(dir / "toy", "train_aug");
  requireLabelsFor(work / "labels", dir / "toy", ids);
  const auto metrics = nlohmann::ordered_json::parse(readText(work / "metrics.json"));
  CHECK(metrics.at("source") == "d2cam");
  CHECK(metrics.at("matting") == "propagate");
  CHECK(metrics.at("mIoU").is_number());
  CHECK_FALSE(metrics.contains("bg_threshold_sweep"));  // the sweep is CCI's
  CHECK_FALSE(metrics.contains("cci_mode"));
  CHECK(metrics.at("boundary").at("band_px") == 3);

  // One grey trimap per present class of every image, of the image's size, in 0 / 128 / 255.
  int64_t files = 0;
  std::set<std::string> imagesWithTrimaps;
  for (const auto& entry : fs::directory_iterator(trimaps)) {
    ++files;
    const std::string name = entry.path().stem().string();
    const std::string id = name.substr(0, name.rfind('_'));
    INFO(name);
    REQUIRE(std::find(ids.begin(), ids.end(), id) != ids.end());
    imagesWithTrimaps.insert(id);
    const cv::Mat trimap = wsss::readLabelPng(entry.path().string());
    const cv::Mat image = wsss::readRgbImage((dir / "toy" / "JPEGImages" / (id + ".jpg")).string());
    CHECK(trimap.size() == image.size());
    const cv::Mat other = (trimap != 0) & (trimap != 128) & (trimap != 255);
    CHECK(cv::countNonZero(other) == 0);
  }
  CHECK(metrics.at("trimaps") == files);
  CHECK(imagesWithTrimaps.size() == ids.size());  // every toy image has an object

  SECTION("the pseudo-labels' boundary band is scored by wsss eval") {
    const fs::path band = dir / "band";
    const auto scored = runWsss("eval --config " + config + " --checkpoint " + checkpoint +
                                " --split train_aug --target pseudo --boundary-band 3 --work-dir " +
                                band.string() + d2cam + " matting.enabled=true");
    INFO(scored.output);
    REQUIRE(scored.exitCode == 0);
    const auto bandMetrics = nlohmann::ordered_json::parse(readText(band / "metrics.json"));
    CHECK(bandMetrics.at("boundary").at("band_px") == 3);
    CHECK(bandMetrics.at("boundary").at("mIoU").is_number());
    // The labels of the step are the labels wsss pseudo wrote: the same whole-split score.
    CHECK(bandMetrics.at("mIoU") == metrics.at("mIoU"));
    CHECK(bandMetrics.at("boundary").at("mIoU") == metrics.at("boundary").at("mIoU"));
    const auto negative = runWsss("eval --config " + config + " --checkpoint " + checkpoint +
                                  " --boundary-band -1 --work-dir " + (dir / "neg").string() +
                                  d2cam);
    CHECK(negative.exitCode != 0);
    CHECK(negative.output.find("--boundary-band") != std::string::npos);
  }
}
