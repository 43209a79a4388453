#include "train/evaluation/confusion_matrix.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "core/error.h"

namespace wsss {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// `labels` flattened to int64; throws unless every value is in [0, K) or 255.
torch::Tensor checkedLabels(const torch::Tensor& labels, int64_t numClasses, const char* what) {
  WSSS_CHECK(labels.defined(), "confusion matrix: the ", what, " tensor is undefined");
  WSSS_CHECK(torch::isIntegralType(labels.scalar_type(), /*includeBool=*/false),
             "confusion matrix: the ", what, " must be an integer tensor, got ",
             labels.scalar_type());
  torch::Tensor values = labels.to(torch::kInt64).reshape({-1});
  const torch::Tensor outside = (values.lt(0) | values.ge(numClasses)) & values.ne(kIgnoreLabel);
  if (outside.any().item<bool>()) {
    const int64_t value = values.masked_select(outside)[0].item<int64_t>();
    const int64_t count = outside.sum().item<int64_t>();
    WSSS_FAIL("confusion matrix: the ", what, " holds the value ", value, " (", count, " pixel",
              count == 1 ? "" : "s", " outside the classes), expected 0..", numClasses - 1,
              " or 255");
  }
  return values;
}

}  // namespace

ConfusionMatrix::ConfusionMatrix(int64_t numClasses) : numClasses_(numClasses) {
  WSSS_CHECK(numClasses >= 1 && numClasses < kIgnoreLabel,
             "confusion matrix: the number of classes must be in 1..254 (255 marks ignored "
             "pixels), got ",
             numClasses);
  counts_ = torch::zeros({numClasses, numClasses + 1}, torch::kInt64);
}

void ConfusionMatrix::add(const torch::Tensor& prediction, const torch::Tensor& target) {
  WSSS_CHECK(prediction.defined() && target.defined(),
             "confusion matrix: prediction and target must both be defined");
  WSSS_CHECK(prediction.sizes() == target.sizes(), "confusion matrix: prediction of shape ",
             prediction.sizes(), " does not match target of shape ", target.sizes());
  const int64_t classes = numClasses_;
  const int64_t columns = classes + 1;
  const torch::Tensor predicted = checkedLabels(prediction, classes, "prediction");
  const torch::Tensor truth = checkedLabels(target.to(prediction.device()), classes, "target");
  // Ignored targets fall into an extra row that is dropped afterwards, and undecided
  // predictions into the extra column: the pixels never have to be selected, so the count
  // runs on the device with fixed shapes.
  const torch::Tensor row = truth.masked_fill(truth.eq(kIgnoreLabel), classes);
  const torch::Tensor column = predicted.masked_fill(predicted.eq(kIgnoreLabel), classes);
  const torch::Tensor bins = torch::bincount(row * columns + column, {}, columns * columns);
  // A new tensor rather than an in-place sum, so copies of a matrix never share counts.
  counts_ = counts_ + bins.view({columns, columns}).narrow(0, 0, classes).to(torch::kCPU);
}

torch::Tensor ConfusionMatrix::matrix() const { return counts_.narrow(1, 0, numClasses_).clone(); }

torch::Tensor ConfusionMatrix::undecided() const { return counts_.select(1, numClasses_).clone(); }

SegmentationScores ConfusionMatrix::scores() const {
  const int64_t classes = numClasses_;
  const auto counts = counts_.accessor<int64_t, 2>();
  SegmentationScores scores;
  scores.iou.assign(static_cast<size_t>(classes), kNaN);
  scores.groundTruthPixels.assign(static_cast<size_t>(classes), 0);
  int64_t correct = 0;
  int64_t labelled = 0;
  double iouSum = 0;
  int64_t iouClasses = 0;
  double recallSum = 0;
  int64_t recallClasses = 0;
  for (int64_t c = 0; c < classes; ++c) {
    const int64_t truePositive = counts[c][c];
    int64_t truthPixels = 0;  // the row, undecided included: those are misses of class c
    for (int64_t column = 0; column <= classes; ++column) truthPixels += counts[c][column];
    int64_t predictedPixels = 0;
    for (int64_t r = 0; r < classes; ++r) predictedPixels += counts[r][c];
    const int64_t unionPixels = truthPixels + predictedPixels - truePositive;
    const auto index = static_cast<size_t>(c);
    scores.groundTruthPixels[index] = truthPixels;
    if (unionPixels > 0) {
      scores.iou[index] = static_cast<double>(truePositive) / static_cast<double>(unionPixels);
      iouSum += scores.iou[index];
      ++iouClasses;
    }
    if (truthPixels > 0) {
      recallSum += static_cast<double>(truePositive) / static_cast<double>(truthPixels);
      ++recallClasses;
    }
    correct += truePositive;
    labelled += truthPixels;
    scores.undecidedPixels += counts[c][classes];
  }
  scores.meanIou = iouClasses > 0 ? iouSum / static_cast<double>(iouClasses) : kNaN;
  scores.pixelAccuracy =
      labelled > 0 ? static_cast<double>(correct) / static_cast<double>(labelled) : kNaN;
  scores.meanClassAccuracy =
      recallClasses > 0 ? recallSum / static_cast<double>(recallClasses) : kNaN;
  return scores;
}

void ConfusionMatrix::merge(const ConfusionMatrix& other) {
  WSSS_CHECK(other.numClasses_ == numClasses_, "confusion matrix: cannot merge a matrix of ",
             other.numClasses_, " classes into one of ", numClasses_);
  counts_ = counts_ + other.counts_;
}

}  // namespace wsss
