#include "data/augment.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <utility>

#include "core/error.h"
#include "data/seeded_random.h"

namespace wsss {

namespace {

// The sample while it moves through the geometric steps: still 8-bit, so resizing can use
// OpenCV's bit-exact kernels and give the same pixels on every machine.
struct Working {
  cv::Mat image;     // CV_8UC3
  cv::Mat mask;      // CV_8UC1 or empty
  cv::Mat saliency;  // CV_8UC1 or empty
  std::vector<Point> points;
};

void checkOptions(const AugmentOptions& options) {
  WSSS_CHECK(options.scaleRange.size() == 2, "data.augment.scale_range: expected [low, high], got ",
             options.scaleRange.size(), " values");
  WSSS_CHECK(options.scaleRange[0] > 0 && options.scaleRange[0] <= options.scaleRange[1],
             "data.augment.scale_range: expected 0 < low <= high, got [", options.scaleRange[0],
             ", ", options.scaleRange[1], "]");
  WSSS_CHECK(options.cropSize > 0, "data.augment.crop_size: expected > 0, got ", options.cropSize);
  WSSS_CHECK(options.mean.size() == 3 && options.std.size() == 3,
             "data.augment.mean and data.augment.std: expected 3 values (RGB), got ",
             options.mean.size(), " and ", options.std.size());
  for (double value : options.std) {
    WSSS_CHECK(value > 0, "data.augment.std: expected positive values, got ", value);
  }
  const ColorJitterOptions& jitter = options.jitter;
  WSSS_CHECK(jitter.brightness >= 0 && jitter.contrast >= 0 && jitter.saturation >= 0,
             "data.augment.jitter: brightness, contrast and saturation must not be negative");
  WSSS_CHECK(jitter.hue >= 0 && jitter.hue <= 0.5, "data.augment.jitter.hue: expected 0..0.5, got ",
             jitter.hue);
  WSSS_CHECK(jitter.probability >= 0 && jitter.probability <= 1,
             "data.augment.jitter.probability: expected 0..1, got ", jitter.probability);
}

void checkSample(const Sample& sample) {
  WSSS_CHECK(
      !sample.image.empty() && sample.image.type() == CV_8UC3, "image ", sample.id,
      ": expected an 8-bit RGB image, got ",
      sample.image.empty() ? std::string("an empty one") : cv::typeToString(sample.image.type()));
  const cv::Size size = sample.image.size();
  if (!sample.mask.empty()) {
    WSSS_CHECK(sample.mask.type() == CV_8UC1, "image ", sample.id,
               ": expected an 8-bit single-channel mask, got ",
               cv::typeToString(sample.mask.type()));
    WSSS_CHECK(sample.mask.size() == size, "image ", sample.id, ": mask is ", sample.mask.cols, "x",
               sample.mask.rows, " but the image is ", size.width, "x", size.height);
  }
  if (!sample.saliency.empty()) {
    WSSS_CHECK(sample.saliency.type() == CV_8UC1, "image ", sample.id,
               ": expected an 8-bit single-channel saliency map, got ",
               cv::typeToString(sample.saliency.type()));
    WSSS_CHECK(sample.saliency.size() == size, "image ", sample.id, ": saliency map is ",
               sample.saliency.cols, "x", sample.saliency.rows, " but the image is ", size.width,
               "x", size.height);
  }
}

// Pixel-centre convention, as cv::resize: centre x + 0.5 scales to (x + 0.5) * s.
void rescale(Working& work, double factor) {
  const int width = work.image.cols;
  const int height = work.image.rows;
  const int newWidth = std::max(1, static_cast<int>(std::lround(width * factor)));
  const int newHeight = std::max(1, static_cast<int>(std::lround(height * factor)));
  if (newWidth == width && newHeight == height) return;
  const cv::Size size(newWidth, newHeight);
  cv::resize(work.image, work.image, size, 0, 0, cv::INTER_LINEAR_EXACT);
  // NEAREST_EXACT samples at pixel centres; plain NEAREST is shifted by half a pixel and would
  // move object borders relative to the image and the points.
  if (!work.mask.empty()) cv::resize(work.mask, work.mask, size, 0, 0, cv::INTER_NEAREST_EXACT);
  if (!work.saliency.empty()) {
    cv::resize(work.saliency, work.saliency, size, 0, 0, cv::INTER_LINEAR_EXACT);
  }
  const double scaleX = static_cast<double>(newWidth) / width;
  const double scaleY = static_cast<double>(newHeight) / height;
  for (Point& point : work.points) {
    point.x = static_cast<float>((point.x + 0.5) * scaleX - 0.5);
    point.y = static_cast<float>((point.y + 0.5) * scaleY - 0.5);
  }
}

// Into a new buffer: the working mats may still share pixels with the caller's sample.
cv::Mat flipped(const cv::Mat& source) {
  cv::Mat out;
  if (!source.empty()) cv::flip(source, out, 1);
  return out;
}

void flipHorizontal(Working& work) {
  work.image = flipped(work.image);
  work.mask = flipped(work.mask);
  work.saliency = flipped(work.saliency);
  const float lastColumn = static_cast<float>(work.image.cols - 1);
  for (Point& point : work.points) point.x = lastColumn - point.x;
}

void clampUnit(cv::Mat& image) {
  cv::max(image, 0.0, image);
  cv::min(image, 1.0, image);
}

cv::Mat greyOf(const cv::Mat& image) {
  cv::Mat grey;
  cv::cvtColor(image, grey, cv::COLOR_RGB2GRAY);
  return grey;
}

// Blends towards `other` as torchvision's adjust_* functions do: factor 1 keeps the image.
void blend(cv::Mat& image, const cv::Mat& other, double factor) {
  cv::addWeighted(image, factor, other, 1.0 - factor, 0.0, image);
  clampUnit(image);
}

void shiftHue(cv::Mat& image, double shift) {
  cv::Mat hsv;
  cv::cvtColor(image, hsv, cv::COLOR_RGB2HSV);  // float input: hue in degrees [0, 360)
  const float degrees = static_cast<float>(shift * 360.0);
  for (int row = 0; row < hsv.rows; ++row) {
    auto* pixel = hsv.ptr<cv::Vec3f>(row);
    for (int col = 0; col < hsv.cols; ++col) {
      float hue = pixel[col][0] + degrees;
      hue -= 360.0f * std::floor(hue / 360.0f);
      pixel[col][0] = hue;
    }
  }
  cv::cvtColor(hsv, image, cv::COLOR_HSV2RGB);
  clampUnit(image);
}

// Brightness, contrast, saturation, hue in this fixed order, on an RGB image in [0, 1]. All four
// factors are always drawn so the stream does not depend on which of them are switched on.
void colorJitter(cv::Mat& image, const ColorJitterOptions& options, std::mt19937_64& rng) {
  if (!bernoulli(rng, options.probability)) return;
  const auto factorIn = [&rng](double spread) {
    return uniformReal(rng, std::max(0.0, 1.0 - spread), 1.0 + spread);
  };
  const double brightness = factorIn(options.brightness);
  const double contrast = factorIn(options.contrast);
  const double saturation = factorIn(options.saturation);
  const double hue = uniformReal(rng, -options.hue, options.hue);
  if (brightness != 1.0) {
    image *= brightness;
    clampUnit(image);
  }
  if (contrast != 1.0) {
    const double meanGrey = cv::mean(greyOf(image))[0];
    blend(image, cv::Mat(image.size(), image.type(), cv::Scalar::all(meanGrey)), contrast);
  }
  if (saturation != 1.0) {
    cv::Mat grey3;
    cv::cvtColor(greyOf(image), grey3, cv::COLOR_GRAY2RGB);
    blend(image, grey3, saturation);
  }
  if (hue != 0.0) shiftHue(image, hue);
}

cv::Mat toUnitFloat(const cv::Mat& image8) {
  cv::Mat image;
  image8.convertTo(image, CV_32F, 1.0 / 255.0);
  return image;
}

void normalise(cv::Mat& image, const std::vector<double>& mean, const std::vector<double>& std) {
  const float mean0 = static_cast<float>(mean[0]), mean1 = static_cast<float>(mean[1]),
              mean2 = static_cast<float>(mean[2]);
  const float std0 = static_cast<float>(std[0]), std1 = static_cast<float>(std[1]),
              std2 = static_cast<float>(std[2]);
  for (int row = 0; row < image.rows; ++row) {
    auto* pixel = image.ptr<cv::Vec3f>(row);
    for (int col = 0; col < image.cols; ++col) {
      pixel[col][0] = (pixel[col][0] - mean0) / std0;
      pixel[col][1] = (pixel[col][1] - mean1) / std1;
      pixel[col][2] = (pixel[col][2] - mean2) / std2;
    }
  }
}

// One axis of the crop: `length` source pixels from `source` land at `target` in the crop.
struct Span {
  int source = 0;
  int target = 0;
  int length = 0;
};

// A longer side is cut at a random offset; a shorter one is placed at a random offset in the
// padded crop, so padding is not always on the same side.
Span cropSpan(int length, int crop, std::mt19937_64& rng) {
  if (length >= crop) return {static_cast<int>(uniformInt(rng, 0, length - crop)), 0, crop};
  return {0, static_cast<int>(uniformInt(rng, 0, crop - length)), length};
}

cv::Mat cropPadded(const cv::Mat& source, const Span& rows, const Span& cols, int crop,
                   const cv::Scalar& fill) {
  cv::Mat out(crop, crop, source.type(), fill);
  source(cv::Rect(cols.source, rows.source, cols.length, rows.length))
      .copyTo(out(cv::Rect(cols.target, rows.target, cols.length, rows.length)));
  return out;
}

// Keeps the points whose pixel lies inside the real image area of the output.
std::vector<Point> pointsInside(std::vector<Point> points, const std::array<int64_t, 4>& box) {
  std::vector<Point> kept;
  kept.reserve(points.size());
  for (const Point& point : points) {
    const int64_t row = pixelIndex(point.y);
    const int64_t col = pixelIndex(point.x);
    if (row >= box[0] && row < box[2] && col >= box[1] && col < box[3]) kept.push_back(point);
  }
  return kept;
}

}  // namespace

int64_t pixelIndex(float coordinate) {
  return static_cast<int64_t>(std::floor(static_cast<double>(coordinate) + 0.5));
}

Augmenter::Augmenter(AugmentOptions options, bool training)
    : options_(std::move(options)), training_(training) {
  checkOptions(options_);
}

AugmentedSample Augmenter::apply(const Sample& sample, std::mt19937_64& rng) const {
  checkSample(sample);
  AugmentedSample out;
  out.id = sample.id;
  out.labels = sample.labels;

  if (!training_) {
    out.image = toUnitFloat(sample.image);
    normalise(out.image, options_.mean, options_.std);
    if (!sample.mask.empty()) out.mask = sample.mask.clone();
    if (!sample.saliency.empty()) out.saliency = toUnitFloat(sample.saliency);
    out.cropBox = {0, 0, sample.image.rows, sample.image.cols};
    out.points = pointsInside(sample.points, out.cropBox);
    return out;
  }

  // Draw order (fixed, part of the reproducibility contract): scale, flip, jitter, crop.
  Working work{sample.image, sample.mask, sample.saliency, sample.points};
  rescale(work, uniformReal(rng, options_.scaleRange[0], options_.scaleRange[1]));
  if (bernoulli(rng, options_.flip ? 0.5 : 0.0)) flipHorizontal(work);

  cv::Mat image = toUnitFloat(work.image);
  if (options_.colorJitter) colorJitter(image, options_.jitter, rng);

  const int crop = static_cast<int>(options_.cropSize);
  const Span rows = cropSpan(image.rows, crop, rng);
  const Span cols = cropSpan(image.cols, crop, rng);
  out.image = cropPadded(image, rows, cols, crop, cv::Scalar::all(0));
  // Normalisation is per pixel, so normalising only the real area after the cut gives the
  // same values on fewer pixels, and the padding stays 0.
  cv::Mat realArea = out.image(cv::Rect(cols.target, rows.target, cols.length, rows.length));
  normalise(realArea, options_.mean, options_.std);
  if (!work.mask.empty()) out.mask = cropPadded(work.mask, rows, cols, crop, cv::Scalar(255));
  if (!work.saliency.empty()) {
    out.saliency = toUnitFloat(cropPadded(work.saliency, rows, cols, crop, cv::Scalar(0)));
  }
  out.cropBox = {rows.target, cols.target, rows.target + rows.length, cols.target + cols.length};
  const float shiftX = static_cast<float>(cols.target - cols.source);
  const float shiftY = static_cast<float>(rows.target - rows.source);
  for (Point& point : work.points) {
    point.x += shiftX;
    point.y += shiftY;
  }
  out.points = pointsInside(std::move(work.points), out.cropBox);
  return out;
}

}  // namespace wsss
