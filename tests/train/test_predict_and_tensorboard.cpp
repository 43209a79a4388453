// `wsss predict` on one's own images, the TensorBoard files of a training run, end to end,
// and the dense CRF in eval and pseudo, through the binary on the instant toy config
// (docs/evaluation.md, docs/training.md, docs/crf.md).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "data/label_png.h"
#include "test_helpers.h"

using Catch::Matchers::Contains;
using wsss::test::readText;
using wsss::test::runWsss;
using wsss::test::TempDir;
using wsss::test::writeText;

namespace fs = std::filesystem;

namespace {

std::string shellQuoted(const fs::path& path) { return "'" + path.string() + "'"; }

// metrics.jsonl's total loss by step.
std::map<int64_t, double> loggedTotals(const fs::path& run) {
  std::map<int64_t, double> totals;
  std::ifstream file(run / "metrics.jsonl");
  std::string line;
  while (std::getline(file, line)) {
    const auto record = nlohmann::json::parse(line);
    if (record.contains("loss")) totals[record["iteration"]] = record["loss"]["total"];
  }
  return totals;
}

}  // namespace

TEST_CASE("predict labels files, folders and lists of any size, skips or stops at a bad image",
          "[cli][toy]") {
  TempDir dir("predict");
  const std::string config = wsss::test::instantToyConfig(dir, 2);
  const fs::path run = dir / "run";
  REQUIRE(runWsss("train --config " + shellQuoted(config) + " --work-dir " + shellQuoted(run)).exitCode == 0);
  const fs::path checkpoint = run / "checkpoints/last.pt";

  // Two val images copied at their own sizes, one resized, a list naming one of them.
  const fs::path images = dir / "mine";
  fs::create_directories(images);
  const fs::path jpegs = dir / "toy/JPEGImages";
  std::vector<fs::path> sources;
  for (const auto& entry : fs::directory_iterator(jpegs)) sources.push_back(entry.path());
  std::sort(sources.begin(), sources.end());
  REQUIRE(sources.size() >= 2);
  fs::copy_file(sources[0], images / "first.jpg");
  fs::copy_file(sources[1], images / "second.jpg");
  cv::Mat wide = cv::imread(sources[0].string());
  cv::resize(wide, wide, cv::Size(97, 41));
  cv::imwrite((images / "wide.png").string(), wide);
  writeText(dir / "list.txt", "mine/second.jpg\n\n");

  const fs::path out = dir / "out";
  const auto predicted =
      runWsss("predict --config " + shellQuoted(config) + " --checkpoint " + shellQuoted(checkpoint) +
              " --input " + shellQuoted(images) + " " + shellQuoted(dir / "list.txt") + " --out " +
              shellQuoted(out) + " --cams");
  INFO(predicted.output);
  REQUIRE(predicted.exitCode == 0);
  CHECK_THAT(predicted.output, Contains("predicted 4/4 images"));
  for (const std::string name : {"first", "second", "wide", "second-2"}) {
    INFO(name);
    const cv::Mat labels = wsss::readLabelPng((out / (name + ".png")).string());
    const cv::Mat overlay = cv::imread((out / (name + "_overlay.jpg")).string());
    CHECK(labels.size() == overlay.size());
    if (name == "wide") CHECK(labels.size() == cv::Size(97, 41));
  }
  // A CAM for each foreground class the prediction holds, none for the others.
  for (const auto& entry : fs::directory_iterator(out)) {
    const std::string file = entry.path().filename().string();
    if (file.find("_cam_") == std::string::npos) continue;
    CHECK(cv::imread(entry.path().string()).size() ==
          wsss::readLabelPng((out / (file.substr(0, file.find("_cam_")) + ".png")).string()).size());
  }

  // An unreadable image: skipped by name with data.on_error=skip, fatal by name otherwise,
  // and the files already written stay.
  writeText(images / "zz-broken.jpg", "not a jpeg");  // after the others
  const auto skipped = runWsss("predict --config " + shellQuoted(config) + " --checkpoint " +
                               shellQuoted(checkpoint) + " --input " + shellQuoted(images) + " --out " +
                               shellQuoted(dir / "skip") + " data.on_error=skip");
  INFO(skipped.output);
  CHECK(skipped.exitCode == 0);
  CHECK_THAT(skipped.output, Contains("zz-broken.jpg") && Contains("1 unreadable skipped"));
  const auto fatal = runWsss("predict --config " + shellQuoted(config) + " --checkpoint " +
                             shellQuoted(checkpoint) + " --input " + shellQuoted(images) + " --out " +
                             shellQuoted(dir / "fatal"));
  INFO(fatal.output);
  CHECK(fatal.exitCode == 1);
  CHECK_THAT(fatal.output, Contains("broken.jpg") && Contains("data.on_error=skip"));
  // The images before it, held back for batching, are labelled before the error.
  for (const std::string name : {"first", "second", "wide"}) {
    CHECK(fs::exists(dir / ("fatal/" + name + ".png")));
  }

  const auto missing = runWsss("predict --config " + shellQuoted(config) + " --checkpoint " +
                               shellQuoted(checkpoint) + " --input " + shellQuoted(dir / "nowhere"));
  CHECK(missing.exitCode == 1);
  CHECK_THAT(missing.output, Contains("nowhere") && Contains("does not exist"));
}

TEST_CASE("TensorBoard's reader finds every step's losses once, across a resume, and the "
          "evaluations with their images",
          "[cli][toy]") {
  TempDir dir("tensorboard-run");
  const std::string config = wsss::test::instantToyConfig(dir, 6);
  const fs::path run = dir / "run";
  const std::string train = "train --config " + shellQuoted(config) + " --work-dir " + shellQuoted(run) +
                            " train.eval_interval=2 train.keep_checkpoints=3";
  REQUIRE(runWsss(train).exitCode == 0);
  // Resumed from step 4: steps 5 and 6 run again; their events are in the first file already.
  const auto resumed = runWsss(train + " --resume " + shellQuoted(run / "checkpoints/iter_000004.pt"));
  INFO(resumed.output);
  REQUIRE(resumed.exitCode == 0);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(run / "tensorboard")) files += 1;
  CHECK(files == 2);

  const fs::path json = dir / "read.json";
  const auto read = wsss::test::runReferenceScript(
      "tensorboard_reference.py", "--logdir " + shellQuoted(run / "tensorboard") + " --out " + shellQuoted(json));
  INFO(read.output);
  REQUIRE(read.exitCode == 0);
  const auto events = nlohmann::json::parse(readText(json));
  const std::map<int64_t, double> logged = loggedTotals(run);
  REQUIRE(logged.size() == 6);
  const auto& totals = events["scalars"]["loss/total"];
  REQUIRE(totals.size() == 6);
  for (size_t index = 0; index < totals.size(); ++index) {
    const int64_t step = totals[index][0];
    CHECK(step == static_cast<int64_t>(index) + 1);
    CHECK(totals[index][1].get<double>() == Approx(logged.at(step)).epsilon(1e-6));
  }
  for (const std::string tag : {"loss/cls", "train/lr", "train/images_per_s"}) {
    INFO(tag);
    CHECK(events["scalars"][tag].size() == 6);
  }
  CHECK(events["scalars"]["loss/seg"].size() >= 4);  // from the end of its warm-up
  // Evaluations at steps 2, 4 and 6, with the per-class IoU and the first val images.
  CHECK(events["scalars"]["val/mIoU"].size() == 3);
  CHECK(events["scalars"].contains("val_iou/background"));
  CHECK(events["texts"].contains("config"));
  int imageTags = 0;
  for (const auto& [tag, images] : events["images"].items()) {
    imageTags += 1;
    CHECK(images.size() == 3);
  }
  CHECK(imageTags == 2 * 4);  // 4 val images, prediction and CAM each

  // Off, nothing is written.
  REQUIRE(runWsss("train --config " + shellQuoted(config) + " --work-dir " + shellQuoted(dir / "off") +
                  " train.tensorboard=false train.iterations=2")
              .exitCode == 0);
  CHECK_FALSE(fs::exists(dir / "off/tensorboard"));
}

TEST_CASE("the dense CRF in evaluation (eval.crf) and over wsss pseudo's labels (pseudo.crf)",
          "[cli][toy][crf]") {
  TempDir dir("crf-run");
  const std::string config = wsss::test::instantToyConfig(dir, 2);
  const fs::path run = dir / "run";
  REQUIRE(runWsss("train --config " + shellQuoted(config) + " --work-dir " + shellQuoted(run))
              .exitCode == 0);
  const std::string checkpoint = shellQuoted(run / "checkpoints/last.pt");
  std::map<std::string, double> miou;
  for (const std::string crf : {"false", "true"}) {
    const fs::path work = dir / ("eval-" + crf);
    const auto scored = runWsss("eval --config " + shellQuoted(config) + " --checkpoint " +
                                checkpoint + " --work-dir " + shellQuoted(work) +
                                " --save-png " + shellQuoted(work / "png") + " eval.crf=" + crf);
    INFO(scored.output);
    REQUIRE(scored.exitCode == 0);
    miou[crf] = nlohmann::json::parse(readText(work / "metrics.json"))["mIoU"];
  }
  // The CRF changes the labels of some pixels of the 4 val images.
  bool changed = false;
  for (const auto& entry : fs::directory_iterator(dir / "eval-false/png")) {
    const cv::Mat without = wsss::readLabelPng(entry.path().string());
    const cv::Mat with =
        wsss::readLabelPng((dir / "eval-true/png" / entry.path().filename()).string());
    REQUIRE(with.size() == without.size());
    changed = changed || cv::countNonZero(with != without) > 0;
  }
  CHECK(changed);
  CHECK(std::isfinite(miou["true"]));

  // pseudo.crf: the labels come out of the CRF, so no pixel is left unknown (255).
  const fs::path labelled = dir / "pseudo";
  const auto pseudo = runWsss("pseudo --config " + shellQuoted(config) + " --checkpoint " +
                              checkpoint + " --split val --work-dir " + shellQuoted(labelled) +
                              " pseudo.source=cam pseudo.crf=true cci.scales=[1] cci.rounds=1");
  INFO(pseudo.output);
  REQUIRE(pseudo.exitCode == 0);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(labelled / "labels")) {
    const cv::Mat labels = wsss::readLabelPng(entry.path().string());
    CHECK(cv::countNonZero(labels == 255) == 0);
    files += 1;
  }
  CHECK(files == 4);
}
