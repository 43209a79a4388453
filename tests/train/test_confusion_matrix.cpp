// The confusion matrix and its scores: hand-computed cases, then torchmetrics on random maps.
#include <torch/torch.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "test_helpers.h"
#include "train/evaluation/confusion_matrix.h"

using Catch::Contains;
using wsss::ConfusionMatrix;
using wsss::test::TempDir;

namespace {

torch::Tensor labels(std::vector<int64_t> values, std::vector<int64_t> shape) {
  return torch::tensor(values, torch::kInt64).view(shape);
}

// Two rows of four pixels covering every case: hits, confusions, an ignored target and an
// undecided prediction. (target, prediction) pairs:
//   (0,0) (0,1) (1,1) (1,1)
//   (2,2) (2,0) (255,2) (1,255)
torch::Tensor caseTarget() { return labels({0, 0, 1, 1, 2, 2, 255, 1}, {2, 4}); }
torch::Tensor casePrediction() { return labels({0, 1, 1, 1, 2, 0, 2, 255}, {2, 4}); }

}  // namespace

TEST_CASE("confusion matrix: hand-computed counts and scores", "[confusion]") {
  ConfusionMatrix matrix(3);
  matrix.add(casePrediction(), caseTarget());
  CHECK(wsss::test::sameTensor(matrix.matrix(), labels({1, 1, 0, 0, 2, 0, 1, 0, 1}, {3, 3})));
  CHECK(wsss::test::sameTensor(matrix.undecided(), labels({0, 1, 0}, {3})));

  const wsss::SegmentationScores scores = matrix.scores();
  // Class 0: TP 1, row 2, column 2 -> 1/3. Class 1: TP 2, row 3 (one undecided), column 3
  // -> 2/4. Class 2: TP 1, row 2, column 1 -> 1/2.
  REQUIRE(scores.iou.size() == 3);
  CHECK(scores.iou[0] == Approx(1.0 / 3).epsilon(1e-12));
  CHECK(scores.iou[1] == Approx(0.5).epsilon(1e-12));
  CHECK(scores.iou[2] == Approx(0.5).epsilon(1e-12));
  CHECK(scores.meanIou == Approx(4.0 / 9).epsilon(1e-12));
  CHECK(scores.groundTruthPixels == std::vector<int64_t>{2, 3, 2});
  CHECK(scores.pixelAccuracy == Approx(4.0 / 7).epsilon(1e-12));
  CHECK(scores.meanClassAccuracy == Approx((0.5 + 2.0 / 3 + 0.5) / 3).epsilon(1e-12));
  CHECK(scores.undecidedPixels == 1);
}

TEST_CASE("confusion matrix: a perfect prediction scores 1 and absent classes are NaN",
          "[confusion]") {
  const torch::Tensor target = labels({0, 0, 2, 2, 255, 0}, {1, 2, 3});
  ConfusionMatrix matrix(4);
  matrix.add(target.masked_fill(target.eq(255), 3).to(torch::kUInt8), target);
  const auto scores = matrix.scores();
  CHECK(scores.iou[0] == 1.0);
  CHECK(std::isnan(scores.iou[1]));  // in neither: left out of the mean
  CHECK(scores.iou[2] == 1.0);
  CHECK(std::isnan(scores.iou[3]));  // predicted only where the target is ignored
  CHECK(scores.meanIou == 1.0);
  CHECK(scores.pixelAccuracy == 1.0);
  CHECK(scores.meanClassAccuracy == 1.0);
}

TEST_CASE("confusion matrix: an all-background prediction", "[confusion]") {
  // 6 background, 3 of class 1, 2 of class 2, 1 ignored.
  const torch::Tensor target = labels({0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 255}, {3, 4});
  ConfusionMatrix matrix(4);
  matrix.add(torch::zeros_like(target), target);
  const auto scores = matrix.scores();
  CHECK(scores.iou[0] == Approx(6.0 / 11).epsilon(1e-12));
  CHECK(scores.iou[1] == 0.0);
  CHECK(scores.iou[2] == 0.0);
  CHECK(std::isnan(scores.iou[3]));
  CHECK(scores.meanIou == Approx(6.0 / 11 / 3).epsilon(1e-12));
  CHECK(scores.pixelAccuracy == Approx(6.0 / 11).epsilon(1e-12));
  CHECK(scores.meanClassAccuracy == Approx(1.0 / 3).epsilon(1e-12));
}

TEST_CASE("confusion matrix: ignored targets and undecided predictions", "[confusion]") {
  ConfusionMatrix matrix(2);
  SECTION("a target of 255 is not counted whatever the prediction") {
    matrix.add(labels({1, 255, 0}, {3}), labels({255, 255, 255}, {3}));
    CHECK(matrix.matrix().sum().item<int64_t>() == 0);
    CHECK(matrix.scores().undecidedPixels == 0);
    CHECK(std::isnan(matrix.scores().meanIou));
    CHECK(std::isnan(matrix.scores().pixelAccuracy));
  }
  SECTION("an undecided pixel is a miss of its class and a false positive for none") {
    matrix.add(labels({1, 255, 255, 0}, {4}), labels({1, 1, 0, 0}, {4}));
    const auto scores = matrix.scores();
    CHECK(scores.iou[0] == 0.5);  // TP 1 of 2 background pixels, nothing else predicted 0
    CHECK(scores.iou[1] == 0.5);
    CHECK(scores.undecidedPixels == 2);
    CHECK(scores.pixelAccuracy == 0.5);
    CHECK(matrix.matrix().sum().item<int64_t>() == 2);
  }
}

TEST_CASE("confusion matrix: values outside the classes are rejected with the value",
          "[confusion]") {
  ConfusionMatrix matrix(3);
  CHECK_THROWS_WITH(matrix.add(labels({0, 5, 1}, {3}), labels({0, 1, 1}, {3})),
                    Contains("prediction") && Contains("value 5") && Contains("0..2 or 255"));
  CHECK_THROWS_WITH(matrix.add(labels({0, 1, 1}, {3}), labels({-1, 1, 254}, {3})),
                    Contains("target") && Contains("value -1") && Contains("2 pixels"));
  CHECK_THROWS_WITH(matrix.add(labels({0, 1}, {2}), labels({0, 1, 1}, {3})),
                    Contains("does not match"));
  CHECK_THROWS_WITH(matrix.add(torch::zeros({3}), labels({0, 1, 1}, {3})),
                    Contains("integer tensor"));
  CHECK_THROWS_AS(ConfusionMatrix(255), wsss::Error);
  // Nothing of a rejected batch is counted.
  CHECK(matrix.matrix().sum().item<int64_t>() == 0);
}

TEST_CASE("confusion matrix: merging equals counting everything in one", "[confusion]") {
  ConfusionMatrix first(3);
  ConfusionMatrix second(3);
  ConfusionMatrix together(3);
  first.add(casePrediction(), caseTarget());
  second.add(labels({2, 2, 0}, {3}), labels({2, 1, 0}, {3}));
  together.add(casePrediction(), caseTarget());
  together.add(labels({2, 2, 0}, {3}), labels({2, 1, 0}, {3}));

  const ConfusionMatrix before = first;
  first.merge(second);
  CHECK(wsss::test::sameTensor(first.matrix(), together.matrix()));
  CHECK(wsss::test::sameTensor(first.undecided(), together.undecided()));
  CHECK(first.scores().meanIou == together.scores().meanIou);
  // A copy keeps its own counts.
  CHECK(before.matrix().sum().item<int64_t>() == 6);
  CHECK_THROWS_WITH(first.merge(ConfusionMatrix(4)), Contains("4 classes"));
}

TEST_CASE("confusion matrix: counts made on the GPU equal the CPU's", "[confusion][cuda]") {
  if (!torch::cuda::is_available()) {
    WARN("no CUDA device: the GPU path is not exercised");
    return;
  }
  torch::manual_seed(3);
  const torch::Tensor target = torch::randint(0, 6, {2, 33, 47}, torch::kInt64)
                                   .masked_fill_(torch::rand({2, 33, 47}).lt(0.1), 255);
  const torch::Tensor prediction = torch::randint(0, 6, {2, 33, 47}, torch::kInt64)
                                       .masked_fill_(torch::rand({2, 33, 47}).lt(0.1), 255);
  ConfusionMatrix onCpu(6);
  ConfusionMatrix onGpu(6);
  onCpu.add(prediction, target);
  onGpu.add(prediction.cuda(), target.cuda());
  onGpu.add(prediction.cuda().to(torch::kUInt8), target);  // mixed devices and types
  onCpu.add(prediction, target);
  CHECK(onGpu.matrix().device().is_cpu());
  CHECK(wsss::test::sameTensor(onGpu.matrix(), onCpu.matrix()));
  CHECK(wsss::test::sameTensor(onGpu.undecided(), onCpu.undecided()));
  CHECK_THROWS_WITH(onGpu.add(prediction.cuda().fill_(9), target), Contains("value 9"));
}

TEST_CASE("confusion matrix: per-class IoU and mIoU match torchmetrics", "[confusion][reference]") {
  TempDir dir("miou_reference");
  const auto run =
      wsss::test::runReferenceScript("miou_reference.py", "--out '" + dir.path().string() + "'");
  INFO(run.output);
  REQUIRE(run.exitCode == 0);
  std::ifstream file(dir / "miou_reference.pt", std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(file)),
                                std::istreambuf_iterator<char>());
  const auto reference = torch::pickle_load(bytes).toGenericDict();
  const auto tensor = [&](const std::string& key) { return reference.at(key).toTensor(); };

  ConfusionMatrix matrix(21);
  const int64_t batches = tensor("batches").item<int64_t>();
  REQUIRE(batches > 1);
  for (int64_t b = 0; b < batches; ++b) {
    matrix.add(tensor("prediction_" + std::to_string(b)), tensor("target_" + std::to_string(b)));
  }
  CHECK(wsss::test::sameTensor(matrix.matrix(), tensor("confusion")));

  const auto scores = matrix.scores();
  const torch::Tensor metricsIou = tensor("iou").to(torch::kFloat64);
  const torch::Tensor exactIou = tensor("iou_double");
  const torch::Tensor present = tensor("present");
  int64_t absent = 0;
  for (int64_t c = 0; c < 21; ++c) {
    INFO("class " << c);
    const double ours = scores.iou[static_cast<size_t>(c)];
    if (present[c].item<bool>()) {
      CHECK(ours == Approx(exactIou[c].item<double>()).margin(1e-12));
      CHECK(ours == Approx(metricsIou[c].item<double>()).margin(1e-6));  // float32 there
    } else {
      // torchmetrics reports 0 (its zero_division) for a class in neither; we report NaN.
      CHECK(std::isnan(ours));
      CHECK(metricsIou[c].item<double>() == 0.0);
      ++absent;
    }
  }
  CHECK(absent == 1);
  CHECK(scores.meanIou == Approx(tensor("mean_iou_present").item<double>()).margin(1e-12));
  CHECK(scores.meanIou == Approx(tensor("iou_macro").item<double>()).margin(1e-6));
}
