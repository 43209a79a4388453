#include "data/collate.h"

#include <algorithm>

#include "core/error.h"

namespace wsss {

namespace {

// A tensor view of a continuous cv::Mat's pixels (rows x cols x channels); no copy.
torch::Tensor viewOf(const cv::Mat& mat, torch::ScalarType type) {
  return torch::from_blob(const_cast<uint8_t*>(mat.ptr<uint8_t>()),
                          {mat.rows, mat.cols, mat.channels()}, type);
}

cv::Mat continuous(const cv::Mat& mat) { return mat.isContinuous() ? mat : mat.clone(); }

}  // namespace

Batch collate(std::vector<AugmentedSample> samples, int64_t numClasses, bool points) {
  WSSS_CHECK(!samples.empty(), "collate: the batch has no samples");
  const int64_t count = static_cast<int64_t>(samples.size());
  int64_t height = 0;
  int64_t width = 0;
  bool allMasks = true;
  bool allSaliency = true;
  for (const AugmentedSample& sample : samples) {
    WSSS_CHECK(sample.image.type() == CV_32FC3, "collate: image ", sample.id,
               " is not a normalised float RGB image");
    WSSS_CHECK(static_cast<int64_t>(sample.labels.size()) == numClasses, "collate: image ",
               sample.id, " has ", sample.labels.size(), " labels, expected ", numClasses);
    height = std::max<int64_t>(height, sample.image.rows);
    width = std::max<int64_t>(width, sample.image.cols);
    allMasks = allMasks && !sample.mask.empty();
    allSaliency = allSaliency && !sample.saliency.empty();
  }

  Batch batch;
  batch.image = torch::zeros({count, 3, height, width}, torch::kFloat32);
  batch.labels = torch::zeros({count, numClasses}, torch::kFloat32);
  batch.cropBox = torch::zeros({count, 4}, torch::kInt64);
  if (allMasks) batch.mask = torch::full({count, height, width}, 255, torch::kInt64);
  if (allSaliency) batch.saliency = torch::zeros({count, 1, height, width}, torch::kFloat32);
  std::vector<float> pointRows;

  auto labels = batch.labels.accessor<float, 2>();
  auto boxes = batch.cropBox.accessor<int64_t, 2>();
  for (int64_t b = 0; b < count; ++b) {
    AugmentedSample& sample = samples[static_cast<size_t>(b)];
    batch.ids.push_back(std::move(sample.id));
    const int64_t rows = sample.image.rows;
    const int64_t cols = sample.image.cols;
    const cv::Mat image = continuous(sample.image);
    batch.image[b]
        .narrow(1, 0, rows)
        .narrow(2, 0, cols)
        .copy_(viewOf(image, torch::kFloat32).permute({2, 0, 1}));
    if (allMasks) {
      const cv::Mat mask = continuous(sample.mask);
      WSSS_CHECK(mask.type() == CV_8UC1 && mask.rows == rows && mask.cols == cols,
                 "collate: mask of image ", batch.ids.back(), " does not match its image");
      batch.mask[b]
          .narrow(0, 0, rows)
          .narrow(1, 0, cols)
          .copy_(viewOf(mask, torch::kUInt8).squeeze(2));
    }
    if (allSaliency) {
      const cv::Mat saliency = continuous(sample.saliency);
      WSSS_CHECK(saliency.type() == CV_32FC1 && saliency.rows == rows && saliency.cols == cols,
                 "collate: saliency of image ", batch.ids.back(), " does not match its image");
      batch.saliency[b][0]
          .narrow(0, 0, rows)
          .narrow(1, 0, cols)
          .copy_(viewOf(saliency, torch::kFloat32).squeeze(2));
    }
    for (int64_t c = 0; c < numClasses; ++c) labels[b][c] = sample.labels[static_cast<size_t>(c)];
    for (int64_t k = 0; k < 4; ++k) boxes[b][k] = sample.cropBox[static_cast<size_t>(k)];
    if (points) {
      for (const Point& point : sample.points) {
        pointRows.insert(pointRows.end(),
                         {static_cast<float>(b), point.y, point.x, static_cast<float>(point.cls),
                          static_cast<float>(point.rank)});
      }
    }
  }
  if (points) {
    const int64_t rows = static_cast<int64_t>(pointRows.size() / 5);
    batch.points = rows == 0
                       ? torch::zeros({0, 5}, torch::kFloat32)
                       : torch::from_blob(pointRows.data(), {rows, 5}, torch::kFloat32).clone();
  }
  return batch;
}

}  // namespace wsss
