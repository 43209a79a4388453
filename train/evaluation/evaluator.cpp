#include "train/evaluation/evaluator.h"

#include <torch/torch.h>

#include <filesystem>
#include <opencv2/core.hpp>

#include "core/error.h"
#include "data/label_png.h"
#include "train/crop_box.h"
#include "train/evaluation/boundary_band.h"

namespace wsss {

namespace {

std::string idList(const Batch& batch) {
  std::string ids;
  for (const auto& id : batch.ids) ids += (ids.empty() ? "" : ", ") + id;
  return ids;
}

std::string splitName(const EvaluationSettings& settings) {
  return settings.split.empty() ? std::string("the split") : "split '" + settings.split + "'";
}

void checkBatch(const Batch& batch, const EvaluationSettings& settings) {
  WSSS_CHECK(batch.mask.defined(), "evaluation: images ", idList(batch), " of ",
             splitName(settings),
             " have no ground-truth masks, so they cannot be scored (use a split with masks)");
  WSSS_CHECK(!batch.labels.defined() || batch.labels.size(1) + 1 == settings.numClasses,
             "evaluation: the dataset has ", batch.labels.size(1),
             " classes plus background, but scores were asked for ", settings.numClasses,
             " classes");
}

void checkPrediction(const torch::Tensor& labels, const Batch& batch,
                     const EvaluationSettings& settings) {
  const auto& mask = batch.mask;
  WSSS_CHECK(labels.defined() && labels.dim() == 3 && labels.size(0) == mask.size(0) &&
                 labels.size(1) == mask.size(1) && labels.size(2) == mask.size(2),
             "evaluation: the prediction for images ", idList(batch), " of ", splitName(settings),
             " must be ", mask.size(0), " x ", mask.size(1), " x ", mask.size(2),
             " labels, got shape ", labels.defined() ? labels.sizes() : torch::IntArrayRef{});
}

}  // namespace

SplitConfusion::SplitConfusion(int64_t numClasses, int64_t boundaryBand)
    : boundaryBand(boundaryBand), whole(numClasses) {
  WSSS_CHECK(boundaryBand >= 0, "evaluation: the boundary band must not be negative, got ",
             boundaryBand);
  if (boundaryBand > 0) boundary.emplace(numClasses);
}

void SplitConfusion::add(const torch::Tensor& prediction, const torch::Tensor& target) {
  whole.add(prediction, target);
  if (boundary) boundary->add(prediction, restrictToBoundaryBand(target, boundaryBand));
}

std::vector<torch::Tensor> SplitConfusion::counts() const {
  std::vector<torch::Tensor> tensors{whole.counts()};
  if (boundary) tensors.push_back(boundary->counts());
  return tensors;
}

SplitScores SplitConfusion::scores() const {
  SplitScores scores{whole.scores(), std::nullopt};
  if (boundary) scores.boundary = boundary->scores();
  return scores;
}

SplitConfusion accumulateConfusion(DataLoader& loader, const LabelPredictor& predictLabels,
                                   const EvaluationSettings& settings) {
  WSSS_CHECK(settings.classNames.empty() ||
                 static_cast<int64_t>(settings.classNames.size()) == settings.numClasses,
             "evaluation: ", settings.classNames.size(), " class names for ", settings.numClasses,
             " classes (background first)");
  SplitConfusion counts(settings.numClasses, settings.boundaryBand);
  const std::filesystem::path pngDir(settings.savePngDir);
  if (!settings.savePngDir.empty()) std::filesystem::create_directories(pngDir);
  const int64_t total = loader.batchesPerEpoch();
  int64_t done = 0;
  while (std::optional<Batch> batch = loader.next()) {
    checkBatch(*batch, settings);
    const torch::Tensor labels = predictLabels(*batch);
    checkPrediction(labels, *batch, settings);
    const torch::Tensor boxes = batch->cropBox.to(torch::kCPU, torch::kInt64).contiguous();
    const int64_t height = batch->mask.size(1);
    const int64_t width = batch->mask.size(2);
    const bool allWhole = (boxes.select(1, 0).eq(0).all() & boxes.select(1, 1).eq(0).all() &
                           boxes.select(1, 2).eq(height).all() & boxes.select(1, 3).eq(width).all())
                              .item<bool>();
    // Images of one size fill the batch and are counted in one call; otherwise each image's
    // own box keeps the padding out of the counts.
    try {
      if (allWhole) {
        counts.add(labels, batch->mask);
      } else {
        for (int64_t b = 0; b < batch->size(); ++b) {
          counts.add(cutToCropBox(labels[b], boxes[b]), cutToCropBox(batch->mask[b], boxes[b]));
        }
      }
    } catch (const Error& error) {
      WSSS_FAIL(error.what(), " (images ", idList(*batch), " of ", splitName(settings), ")");
    }
    if (!settings.savePngDir.empty()) {
      for (int64_t b = 0; b < batch->size(); ++b) {
        saveLabelPng(cutToCropBox(labels[b], boxes[b]),
                     (pngDir / (batch->ids[static_cast<size_t>(b)] + ".png")).string());
      }
    }
    ++done;
    if (settings.progress) settings.progress(done, total);
  }
  return counts;
}

void saveLabelPng(const torch::Tensor& labels, const std::string& path) {
  const torch::Tensor pixels = labels.to(torch::kCPU, torch::kUInt8).contiguous();
  const cv::Mat image(static_cast<int>(pixels.size(0)), static_cast<int>(pixels.size(1)), CV_8UC1,
                      pixels.data_ptr<uint8_t>());
  writeLabelPng(path, image);
}

SplitScores scoreSplit(DataLoader& loader, const LabelPredictor& predictLabels,
                       const EvaluationSettings& settings) {
  return accumulateConfusion(loader, predictLabels, settings).scores();
}

SegmentationScores evaluateSegmentation(DataLoader& loader, const LabelPredictor& predictLabels,
                                        const EvaluationSettings& settings) {
  return scoreSplit(loader, predictLabels, settings).whole;
}

}  // namespace wsss
