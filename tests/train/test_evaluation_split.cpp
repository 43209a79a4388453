// evaluateSegmentation over a small synthetic split, held against counts taken from the masks.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <opencv2/core.hpp>

#include "data/data_loader.h"
#include "data/label_png.h"
#include "data/toy/toy_dataset.h"
#include "data/voc_dataset.h"
#include "test_helpers.h"
#include "train/evaluation/boundary_band.h"
#include "train/evaluation/evaluator.h"

using Catch::Contains;
using wsss::test::TempDir;

namespace {

struct ToySplit {
  wsss::DataOptions data;
  std::shared_ptr<const wsss::VocDataset> val;
  wsss::EvaluationSettings settings;
};

ToySplit toySplit(const TempDir& dir) {
  wsss::ToyDatasetOptions toy;
  toy.out = (dir / "toy").string();
  toy.trainImages = 4;
  toy.valImages = 3;
  toy.testImages = 2;
  wsss::writeToyDataset(toy);
  ToySplit split;
  split.data.root = toy.out;
  split.data.workers = 0;
  split.val = std::make_shared<const wsss::VocDataset>(split.data, "val");
  split.settings.numClasses = split.val->numClasses() + 1;
  split.settings.classNames = {"background"};
  for (const auto& name : split.val->classNames()) split.settings.classNames.push_back(name);
  split.settings.split = "val";
  return split;
}

wsss::DataLoader evaluationLoader(const ToySplit& split, int64_t batchSize) {
  return wsss::DataLoader(split.val, wsss::loaderOptionsFor(split.data, batchSize, false, 0));
}

// Per class, the mask pixels of the whole split (255 left out).
std::vector<int64_t> maskHistogram(const wsss::VocDataset& dataset, int64_t classes) {
  std::vector<int64_t> pixels(static_cast<size_t>(classes), 0);
  for (const auto& id : dataset.ids()) {
    const cv::Mat mask = wsss::readLabelPng(dataset.maskPath(id));
    for (int row = 0; row < mask.rows; ++row) {
      for (int col = 0; col < mask.cols; ++col) {
        const uint8_t value = mask.at<uint8_t>(row, col);
        if (value != 255) ++pixels.at(value);
      }
    }
  }
  return pixels;
}

// Per class, the mask pixels of the whole split within `band` pixels of an edge (255 left out).
std::vector<int64_t> bandHistogram(const wsss::VocDataset& dataset, int64_t classes,
                                   int64_t band) {
  std::vector<int64_t> pixels(static_cast<size_t>(classes), 0);
  for (const auto& id : dataset.ids()) {
    cv::Mat mask = wsss::readLabelPng(dataset.maskPath(id));
    const torch::Tensor labels =
        torch::from_blob(mask.data, {mask.rows, mask.cols}, torch::kUInt8).to(torch::kInt64);
    const torch::Tensor counted = labels.masked_select(wsss::boundaryBand(labels, band));
    for (int64_t c = 0; c < classes; ++c) {
      pixels[static_cast<size_t>(c)] += counted.eq(c).sum().item<int64_t>();
    }
  }
  return pixels;
}

torch::Tensor groundTruth(const wsss::Batch& batch) { return batch.mask.clone(); }

// The ground truth inside each image, and a value no class has in the padding: scoring the
// padding would throw.
torch::Tensor groundTruthWithBadPadding(const wsss::Batch& batch) {
  torch::Tensor labels = torch::full_like(batch.mask, 99);
  for (int64_t b = 0; b < batch.size(); ++b) {
    const auto box = batch.cropBox[b];
    const int64_t top = box[0].item<int64_t>(), left = box[1].item<int64_t>();
    const int64_t bottom = box[2].item<int64_t>(), right = box[3].item<int64_t>();
    labels[b]
        .slice(0, top, bottom)
        .slice(1, left, right)
        .copy_(batch.mask[b].slice(0, top, bottom).slice(1, left, right));
  }
  return labels;
}

}  // namespace

TEST_CASE("evaluation: the ground truth as prediction scores 100 % and saves the masks",
          "[evaluator]") {
  TempDir dir("evaluation_split");
  ToySplit split = toySplit(dir);
  split.settings.savePngDir = (dir / "png").string();
  std::vector<std::pair<int64_t, int64_t>> progress;
  split.settings.progress = [&](int64_t done, int64_t total) {
    progress.emplace_back(done, total);
  };
  wsss::DataLoader loader = evaluationLoader(split, 1);

  const auto scores = wsss::evaluateSegmentation(loader, groundTruth, split.settings);
  CHECK(scores.meanIou == 1.0);
  CHECK(scores.pixelAccuracy == 1.0);
  CHECK(scores.undecidedPixels == 0);
  CHECK(scores.groundTruthPixels == maskHistogram(*split.val, split.settings.numClasses));
  CHECK(progress == std::vector<std::pair<int64_t, int64_t>>{{1, 3}, {2, 3}, {3, 3}});

  for (const auto& id : split.val->ids()) {
    INFO(id);
    const cv::Mat saved = wsss::readLabelPng((dir / "png" / (id + ".png")).string());
    const cv::Mat mask = wsss::readLabelPng(split.val->maskPath(id));
    REQUIRE(saved.size() == mask.size());
    CHECK(cv::countNonZero(saved != mask) == 0);
  }
}

TEST_CASE("evaluation: an all-background prediction against counts from the masks", "[evaluator]") {
  TempDir dir("evaluation_split");
  const ToySplit split = toySplit(dir);
  const std::vector<int64_t> pixels = maskHistogram(*split.val, split.settings.numClasses);
  int64_t labelled = 0;
  for (const int64_t count : pixels) labelled += count;
  REQUIRE(pixels[0] > 0);
  REQUIRE(pixels[0] < labelled);

  const auto background = [](const wsss::Batch& batch) { return torch::zeros_like(batch.mask); };
  // Batches of two images of different sizes are padded: the same scores must come out.
  for (const int64_t batchSize : {1, 2}) {
    INFO("batch size " << batchSize);
    wsss::DataLoader loader = evaluationLoader(split, batchSize);
    const auto scores = wsss::evaluateSegmentation(loader, background, split.settings);
    const double backgroundIou = static_cast<double>(pixels[0]) / static_cast<double>(labelled);
    CHECK(scores.iou[0] == Approx(backgroundIou).epsilon(1e-12));
    double sum = backgroundIou;
    int64_t present = 1;
    for (size_t c = 1; c < pixels.size(); ++c) {
      if (pixels[c] > 0) {
        CHECK(scores.iou[c] == 0.0);
        ++present;
      } else {
        CHECK(std::isnan(scores.iou[c]));
      }
    }
    CHECK(scores.meanIou == Approx(sum / static_cast<double>(present)).epsilon(1e-12));
    CHECK(scores.pixelAccuracy == Approx(backgroundIou).epsilon(1e-12));
  }
}

TEST_CASE("evaluation: a boundary band scores the pixels near the masks' edges on their own",
          "[evaluator]") {
  TempDir dir("evaluation_split");
  ToySplit split = toySplit(dir);
  constexpr int64_t band = 5;
  // The truth near every edge, background everywhere else: wrong on the objects' insides.
  const auto edgesOnly = [](const wsss::Batch& batch) {
    return batch.mask.masked_fill(wsss::boundaryBand(batch.mask, band).logical_not(), 0);
  };
  {
    wsss::DataLoader loader = evaluationLoader(split, 1);
    const wsss::SplitScores plain = wsss::scoreSplit(loader, edgesOnly, split.settings);
    CHECK_FALSE(plain.boundary);
    CHECK(plain.whole.meanIou < 1.0);
  }
  split.settings.boundaryBand = band;
  const std::vector<int64_t> expected =
      bandHistogram(*split.val, split.settings.numClasses, band);
  const std::vector<int64_t> all = maskHistogram(*split.val, split.settings.numClasses);
  // Batches of two are padded; the band is each image's own, so the same counts come out.
  for (const int64_t batchSize : {1, 2}) {
    INFO("batch size " << batchSize);
    wsss::DataLoader loader = evaluationLoader(split, batchSize);
    const wsss::SplitScores scores = wsss::scoreSplit(loader, edgesOnly, split.settings);
    REQUIRE(scores.boundary);
    CHECK(scores.boundary->meanIou == 1.0);
    CHECK(scores.boundary->groundTruthPixels == expected);
    CHECK(scores.whole.meanIou < 1.0);
    CHECK(scores.whole.groundTruthPixels == all);
  }
  CHECK_THROWS_WITH(wsss::SplitConfusion(split.settings.numClasses, -1),
                    Contains("boundary band must not be negative"));
}

TEST_CASE("evaluation: the padding of a batch of unequal images is neither scored nor saved",
          "[evaluator]") {
  TempDir dir("evaluation_split");
  ToySplit split = toySplit(dir);
  split.settings.savePngDir = (dir / "png").string();
  wsss::DataLoader loader = evaluationLoader(split, 3);
  bool padded = false;
  const auto predict = [&](const wsss::Batch& batch) {
    const auto boxes = batch.cropBox;
    padded = padded || boxes.select(1, 2).lt(batch.mask.size(1)).any().item<bool>() ||
             boxes.select(1, 3).lt(batch.mask.size(2)).any().item<bool>();
    return groundTruthWithBadPadding(batch);
  };
  const auto scores = wsss::evaluateSegmentation(loader, predict, split.settings);
  REQUIRE(padded);  // the toy images differ in size, so the batch of three has padding
  CHECK(scores.meanIou == 1.0);
  for (const auto& id : split.val->ids()) {
    const cv::Mat saved = wsss::readLabelPng((dir / "png" / (id + ".png")).string());
    CHECK(saved.size() == wsss::readLabelPng(split.val->maskPath(id)).size());
  }
}

TEST_CASE("evaluation: splits without masks and malformed predictions are errors", "[evaluator]") {
  TempDir dir("evaluation_split");
  ToySplit split = toySplit(dir);
  SECTION("a split without masks names the split and the images") {
    const auto test = std::make_shared<const wsss::VocDataset>(split.data, "test");
    wsss::DataLoader loader(test, wsss::loaderOptionsFor(split.data, 1, false, 0));
    split.settings.split = "test";
    CHECK_THROWS_WITH(wsss::evaluateSegmentation(loader, groundTruth, split.settings),
                      Contains("split 'test'") && Contains(test->ids().front()) &&
                          Contains("no ground-truth masks"));
  }
  SECTION("a prediction of the wrong size") {
    wsss::DataLoader loader = evaluationLoader(split, 1);
    const auto cropped = [](const wsss::Batch& batch) { return batch.mask.narrow(2, 1, 5); };
    CHECK_THROWS_WITH(wsss::evaluateSegmentation(loader, cropped, split.settings),
                      Contains(split.val->ids().front()) && Contains("must be 1 x"));
  }
  SECTION("a label outside the classes names the value and the image") {
    wsss::DataLoader loader = evaluationLoader(split, 1);
    const auto seven = [](const wsss::Batch& batch) { return torch::full_like(batch.mask, 7); };
    CHECK_THROWS_WITH(wsss::evaluateSegmentation(loader, seven, split.settings),
                      Contains("value 7") && Contains(split.val->ids().front()));
  }
  SECTION("class names that do not match the number of classes") {
    wsss::DataLoader loader = evaluationLoader(split, 1);
    split.settings.classNames.pop_back();
    CHECK_THROWS_WITH(wsss::evaluateSegmentation(loader, groundTruth, split.settings),
                      Contains("class names"));
  }
}
