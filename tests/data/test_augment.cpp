#include <catch2/catch.hpp>
#include <cmath>
#include <opencv2/core.hpp>
#include <random>
#include <set>
#include <utility>

#include "data/augment.h"
#include "data/collate.h"
#include "data/seeded_random.h"

namespace {

using wsss::AugmentedSample;
using wsss::Augmenter;
using wsss::AugmentOptions;
using wsss::Point;
using wsss::Sample;

const cv::Vec3b kObjectColour(255, 0, 0);
const cv::Vec3b kBackgroundColour(0, 0, 255);

// A sample whose object (class `cls`) is a red rectangle on blue, with saliency 255 on it and
// clicks two pixels inside each corner of the rectangle and one on the background.
Sample objectSample(int width, int height, const cv::Rect& object, int cls) {
  Sample sample;
  sample.id = "object";
  sample.image = cv::Mat(height, width, CV_8UC3, kBackgroundColour);
  sample.image(object).setTo(kObjectColour);
  sample.mask = cv::Mat(height, width, CV_8UC1, cv::Scalar(0));
  sample.mask(object).setTo(cv::Scalar(cls));
  sample.saliency = cv::Mat(height, width, CV_8UC1, cv::Scalar(0));
  sample.saliency(object).setTo(cv::Scalar(255));
  const float left = static_cast<float>(object.x + 2);
  const float top = static_cast<float>(object.y + 2);
  const float right = static_cast<float>(object.x + object.width - 3);
  const float bottom = static_cast<float>(object.y + object.height - 3);
  sample.points = {{left, top, 1, cls},
                   {right, top, 2, cls},
                   {left, bottom, 3, cls},
                   {right, bottom, 4, cls},
                   {1.0f, 1.0f, 5, 0}};
  sample.labels = {0, 0, 0};
  sample.labels[static_cast<size_t>(cls - 1)] = 1;
  return sample;
}

AugmentOptions geometryOptions(int64_t cropSize) {
  AugmentOptions options;
  options.cropSize = cropSize;
  options.colorJitter = false;
  return options;
}

// The 0..255 value a normalised image holds at (row, col, channel).
double pixelValue(const AugmentedSample& out, const AugmentOptions& options, int row, int col,
                  int channel) {
  const float value = out.image.at<cv::Vec3f>(row, col)[channel];
  return (value * options.std[static_cast<size_t>(channel)] +
          options.mean[static_cast<size_t>(channel)]) *
         255.0;
}

bool insideBox(const AugmentedSample& out, int row, int col) {
  return row >= out.cropBox[0] && row < out.cropBox[2] && col >= out.cropBox[1] &&
         col < out.cropBox[3];
}

}  // namespace

TEST_CASE("a point on an object stays on it through rescale, flip, crop and padding", "[augment]") {
  AugmentOptions options;  // default: jitter on, scales 0.5..2, flip
  options.cropSize = 32;
  const Augmenter augmenter(options, true);
  const Sample sample = objectSample(60, 45, cv::Rect(20, 10, 18, 16), 3);
  int64_t kept = 0;
  int64_t dropped = 0;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    std::mt19937_64 rng(seed);
    const AugmentedSample out = augmenter.apply(sample, rng);
    REQUIRE(out.image.rows == 32);
    REQUIRE(out.image.cols == 32);
    for (const Point& point : out.points) {
      const int64_t row = wsss::pixelIndex(point.y);
      const int64_t col = wsss::pixelIndex(point.x);
      REQUIRE(insideBox(out, static_cast<int>(row), static_cast<int>(col)));
      INFO("seed " << seed << " point rank " << point.rank << " at x " << point.x << " y "
                   << point.y);
      REQUIRE(out.mask.at<uint8_t>(static_cast<int>(row), static_cast<int>(col)) == point.cls);
    }
    kept += static_cast<int64_t>(out.points.size());
    dropped += static_cast<int64_t>(sample.points.size() - out.points.size());
  }
  // Both outcomes occur, so both paths were exercised.
  CHECK(kept > 0);
  CHECK(dropped > 0);
}

TEST_CASE("point mapping follows the pixel-centre convention exactly", "[augment]") {
  // Mask values encode the source column (or row), so the mask under a mapped point tells
  // exactly which source pixel it came from. Upscaling keeps every source pixel.
  const int width = 90;
  const int height = 70;
  for (int axis = 0; axis < 2; ++axis) {
    Sample sample;
    sample.id = "coordinates";
    sample.image = cv::Mat(height, width, CV_8UC3, cv::Scalar::all(128));
    sample.mask = cv::Mat(height, width, CV_8UC1);
    for (int row = 0; row < height; ++row) {
      for (int col = 0; col < width; ++col) {
        sample.mask.at<uint8_t>(row, col) = static_cast<uint8_t>(axis == 0 ? col : row);
      }
    }
    for (int row = 0; row < height; row += 3) {
      for (int col = 0; col < width; col += 3) {
        sample.points.push_back(
            {static_cast<float>(col), static_cast<float>(row), 1, axis == 0 ? col : row});
      }
    }
    AugmentOptions options = geometryOptions(80);
    options.scaleRange = {1.0, 2.0};
    const Augmenter augmenter(options, true);
    for (uint64_t seed = 0; seed < 40; ++seed) {
      std::mt19937_64 rng(seed);
      const AugmentedSample out = augmenter.apply(sample, rng);
      REQUIRE_FALSE(out.points.empty());
      for (const Point& point : out.points) {
        const int row = static_cast<int>(wsss::pixelIndex(point.y));
        const int col = static_cast<int>(wsss::pixelIndex(point.x));
        INFO("axis " << axis << " seed " << seed);
        REQUIRE(out.mask.at<uint8_t>(row, col) == point.cls);
      }
    }
  }
}

TEST_CASE("mask and saliency stay aligned with the image", "[augment]") {
  const AugmentOptions options = geometryOptions(40);
  const Augmenter augmenter(options, true);
  // Stripes, so bilinear blending happens along one axis only: there the source pixel that
  // nearest-neighbour picks always has at least half the weight.
  const Sample vertical = objectSample(50, 38, cv::Rect(12, 0, 20, 38), 2);
  const Sample horizontal = objectSample(50, 38, cv::Rect(0, 9, 50, 15), 2);
  for (const Sample* sample : {&vertical, &horizontal}) {
    for (uint64_t seed = 0; seed < 40; ++seed) {
      std::mt19937_64 rng(seed);
      const AugmentedSample out = augmenter.apply(*sample, rng);
      for (int row = 0; row < out.image.rows; ++row) {
        for (int col = 0; col < out.image.cols; ++col) {
          if (!insideBox(out, row, col)) continue;
          const double red = pixelValue(out, options, row, col, 0);
          const uint8_t label = out.mask.at<uint8_t>(row, col);
          INFO("seed " << seed << " at " << row << "," << col << " red " << red);
          // Image and saliency are resized with the same kernel...
          REQUIRE(std::abs(red / 255.0 - out.saliency.at<float>(row, col)) < 1.5 / 255.0);
          // ...and the mask with nearest-neighbour on the same pixel grid.
          if (label == 2) {
            REQUIRE(red >= 126.0);
          } else {
            REQUIRE(label == 0);
            REQUIRE(red <= 129.0);
          }
        }
      }
    }
  }
}

TEST_CASE("the crop box is exactly the non-padded area", "[augment]") {
  const AugmentOptions options = geometryOptions(48);
  const Augmenter augmenter(options, true);
  const Sample sample = objectSample(40, 30, cv::Rect(5, 5, 20, 15), 1);
  std::set<int64_t> heights;
  for (uint64_t seed = 0; seed < 80; ++seed) {
    std::mt19937_64 rng(seed);
    const AugmentedSample out = augmenter.apply(sample, rng);
    const auto& box = out.cropBox;
    REQUIRE(0 <= box[0]);
    REQUIRE(box[0] < box[2]);
    REQUIRE(box[2] <= 48);
    REQUIRE(0 <= box[1]);
    REQUIRE(box[1] < box[3]);
    REQUIRE(box[3] <= 48);
    heights.insert(box[2] - box[0]);
    for (int row = 0; row < 48; ++row) {
      for (int col = 0; col < 48; ++col) {
        const cv::Vec3f pixel = out.image.at<cv::Vec3f>(row, col);
        const uint8_t label = out.mask.at<uint8_t>(row, col);
        const float saliency = out.saliency.at<float>(row, col);
        if (insideBox(out, row, col)) {
          REQUIRE(label != 255);
        } else {
          REQUIRE(pixel == cv::Vec3f(0, 0, 0));
          REQUIRE(label == 255);
          REQUIRE(saliency == 0.0f);
        }
      }
    }
  }
  // Scales 0.5..2 of a 30-row image give crops both smaller and larger than 48 rows.
  CHECK(heights.count(48) == 1);
  CHECK(heights.size() > 5);
}

TEST_CASE("flip and crop move points exactly and drop those that leave", "[augment]") {
  // At scale 1 nothing is interpolated: the image holds each pixel's source (x, y) in R and G.
  const int width = 100;
  const int height = 80;
  Sample sample;
  sample.id = "grid";
  sample.image = cv::Mat(height, width, CV_8UC3);
  for (int row = 0; row < height; ++row) {
    for (int col = 0; col < width; ++col) {
      sample.image.at<cv::Vec3b>(row, col) = cv::Vec3b(col, row, 0);
    }
  }
  int64_t rank = 0;
  for (int row = 1; row < height; row += 7) {
    for (int col = 2; col < width; col += 7) {
      sample.points.push_back({static_cast<float>(col), static_cast<float>(row), rank++, 1});
    }
  }
  AugmentOptions options = geometryOptions(32);
  options.scaleRange = {1.0, 1.0};
  const Augmenter augmenter(options, true);
  for (uint64_t seed = 0; seed < 30; ++seed) {
    std::mt19937_64 rng(seed);
    const AugmentedSample out = augmenter.apply(sample, rng);
    REQUIRE(out.cropBox == std::array<int64_t, 4>{0, 0, 32, 32});
    std::set<std::pair<int, int>> visible;
    for (int row = 0; row < 32; ++row) {
      for (int col = 0; col < 32; ++col) {
        visible.insert({static_cast<int>(std::lround(pixelValue(out, options, row, col, 0))),
                        static_cast<int>(std::lround(pixelValue(out, options, row, col, 1)))});
      }
    }
    size_t expected = 0;
    for (const Point& point : sample.points) {
      expected += visible.count({static_cast<int>(point.x), static_cast<int>(point.y)});
    }
    REQUIRE(out.points.size() == expected);
    for (const Point& point : out.points) {
      const Point& source = sample.points[static_cast<size_t>(point.rank)];
      const int row = static_cast<int>(wsss::pixelIndex(point.y));
      const int col = static_cast<int>(wsss::pixelIndex(point.x));
      REQUIRE(point.x == static_cast<float>(col));
      REQUIRE(std::lround(pixelValue(out, options, row, col, 0)) == std::lround(source.x));
      REQUIRE(std::lround(pixelValue(out, options, row, col, 1)) == std::lround(source.y));
    }
  }
}

TEST_CASE("eval mode only normalises", "[augment]") {
  Sample sample = objectSample(37, 29, cv::Rect(4, 6, 20, 12), 2);
  cv::randu(sample.image, cv::Scalar::all(0), cv::Scalar::all(256));
  cv::randu(sample.saliency, cv::Scalar(0), cv::Scalar(256));
  const AugmentOptions options;  // jitter, flip and rescale all on, and all ignored
  const Augmenter augmenter(options, false);
  std::mt19937_64 rng(7);
  const AugmentedSample out = augmenter.apply(sample, rng);
  std::mt19937_64 untouched(7);
  CHECK(rng() == untouched());  // no random draw at all

  REQUIRE(out.image.size() == sample.image.size());
  REQUIRE(out.cropBox == std::array<int64_t, 4>{0, 0, 29, 37});
  REQUIRE(cv::countNonZero(out.mask != sample.mask) == 0);
  for (int row = 0; row < 29; ++row) {
    for (int col = 0; col < 37; ++col) {
      const cv::Vec3b source = sample.image.at<cv::Vec3b>(row, col);
      for (int channel = 0; channel < 3; ++channel) {
        REQUIRE(pixelValue(out, options, row, col, channel) ==
                Approx(source[channel]).margin(1e-3));
      }
      REQUIRE(out.saliency.at<float>(row, col) ==
              Approx(sample.saliency.at<uint8_t>(row, col) / 255.0).margin(1e-6));
    }
  }
  REQUIRE(out.points.size() == sample.points.size());
  for (size_t i = 0; i < out.points.size(); ++i) {
    CHECK(out.points[i].x == sample.points[i].x);
    CHECK(out.points[i].y == sample.points[i].y);
    CHECK(out.points[i].cls == sample.points[i].cls);
    CHECK(out.points[i].rank == sample.points[i].rank);
  }
  CHECK(out.labels == sample.labels);
}

TEST_CASE("normalisation is (value / 255 - mean) / std", "[augment]") {
  Sample sample;
  sample.id = "pixel";
  sample.image = cv::Mat(2, 3, CV_8UC3, cv::Scalar(10, 128, 250));
  const AugmentOptions options;
  std::mt19937_64 rng(0);
  const AugmentedSample out = Augmenter(options, false).apply(sample, rng);
  const cv::Vec3f pixel = out.image.at<cv::Vec3f>(1, 2);
  CHECK(pixel[0] == Approx((10 / 255.0 - 0.485) / 0.229).margin(1e-5));
  CHECK(pixel[1] == Approx((128 / 255.0 - 0.456) / 0.224).margin(1e-5));
  CHECK(pixel[2] == Approx((250 / 255.0 - 0.406) / 0.225).margin(1e-5));
}

TEST_CASE("colour jitter changes the image only", "[augment]") {
  Sample sample = objectSample(32, 32, cv::Rect(8, 8, 12, 12), 1);
  cv::randu(sample.image, cv::Scalar::all(0), cv::Scalar::all(256));
  AugmentOptions options = geometryOptions(32);
  options.scaleRange = {1.0, 1.0};
  options.flip = false;
  options.colorJitter = true;
  options.jitter.hue = 0.2;
  options.jitter.probability = 1.0;
  const Augmenter augmenter(options, true);
  const Augmenter plain(geometryOptions(32), false);
  std::mt19937_64 plainRng(0);
  const AugmentedSample reference = plain.apply(sample, plainRng);
  for (uint64_t seed = 0; seed < 10; ++seed) {
    std::mt19937_64 rng(seed);
    const AugmentedSample out = augmenter.apply(sample, rng);
    REQUIRE(out.cropBox == std::array<int64_t, 4>{0, 0, 32, 32});
    REQUIRE(cv::countNonZero(out.mask != sample.mask) == 0);
    REQUIRE(cv::norm(out.saliency, reference.saliency, cv::NORM_INF) == 0.0);
    REQUIRE(out.points.size() == sample.points.size());
    CHECK(cv::norm(out.image, reference.image, cv::NORM_INF) > 0.01);
    for (int row = 0; row < 32; ++row) {
      for (int col = 0; col < 32; ++col) {
        for (int channel = 0; channel < 3; ++channel) {
          const double value = pixelValue(out, options, row, col, channel);
          REQUIRE(value >= -1e-3);
          REQUIRE(value <= 255.0 + 1e-3);
        }
      }
    }
  }
}

TEST_CASE("the same generator seed gives the same sample", "[augment]") {
  const Augmenter augmenter(AugmentOptions{}, true);
  const Sample sample = objectSample(70, 50, cv::Rect(10, 10, 30, 20), 3);
  std::mt19937_64 first(wsss::deriveSeed(5, 1, 2, 3));
  std::mt19937_64 second(wsss::deriveSeed(5, 1, 2, 3));
  const AugmentedSample a = augmenter.apply(sample, first);
  const AugmentedSample b = augmenter.apply(sample, second);
  CHECK(cv::norm(a.image, b.image, cv::NORM_INF) == 0.0);
  CHECK(cv::countNonZero(a.mask != b.mask) == 0);
  CHECK(a.cropBox == b.cropBox);
}

TEST_CASE("augmentation rejects a mask that does not match its image", "[augment]") {
  Sample sample = objectSample(40, 30, cv::Rect(5, 5, 10, 10), 1);
  sample.id = "2007_000123";
  sample.mask = cv::Mat(31, 40, CV_8UC1, cv::Scalar(0));
  std::mt19937_64 rng(0);
  CHECK_THROWS_WITH(Augmenter(AugmentOptions{}, true).apply(sample, rng),
                    Catch::Contains("2007_000123") && Catch::Contains("mask"));
}

TEST_CASE("collate pads evaluation samples to the largest and keeps what is present", "[augment]") {
  const Augmenter augmenter(AugmentOptions{}, false);
  std::mt19937_64 rng(0);
  const Sample small = objectSample(20, 16, cv::Rect(2, 2, 10, 8), 1);
  const Sample large = objectSample(30, 24, cv::Rect(5, 5, 12, 12), 3);
  std::vector<AugmentedSample> samples = {augmenter.apply(small, rng), augmenter.apply(large, rng)};

  const wsss::Batch batch = wsss::collate(samples, 3, true);
  REQUIRE(batch.ids == std::vector<std::string>{"object", "object"});
  REQUIRE(batch.image.sizes() == torch::IntArrayRef({2, 3, 24, 30}));
  REQUIRE(batch.mask.sizes() == torch::IntArrayRef({2, 24, 30}));
  REQUIRE(batch.mask.scalar_type() == torch::kInt64);
  REQUIRE(batch.saliency.sizes() == torch::IntArrayRef({2, 1, 24, 30}));
  CHECK(torch::equal(batch.cropBox,
                     torch::tensor({0, 0, 16, 20, 0, 0, 24, 30}, torch::kInt64).view({2, 4})));
  CHECK(torch::equal(batch.labels,
                     torch::tensor({1.f, 0.f, 0.f, 0.f, 0.f, 1.f}, torch::kFloat32).view({2, 3})));
  // Padding of the smaller sample: image 0, mask 255, saliency 0.
  CHECK(batch.image[0].narrow(1, 16, 8).abs().max().item<float>() == 0.0f);
  CHECK(batch.image[0].narrow(2, 20, 10).abs().max().item<float>() == 0.0f);
  CHECK((batch.mask[0].narrow(1, 20, 10) == 255).all().item<bool>());
  CHECK((batch.mask[0].narrow(0, 16, 8) == 255).all().item<bool>());
  CHECK(batch.saliency[0].narrow(1, 16, 8).max().item<float>() == 0.0f);
  // The real area is copied unchanged.
  CHECK(batch.mask[0][3][3].item<int64_t>() == 1);
  CHECK(batch.mask[1][6][6].item<int64_t>() == 3);
  CHECK(batch.image[1][0][0][0].item<float>() == samples[1].image.at<cv::Vec3f>(0, 0)[0]);
  // Points: [batch index, y, x, cls, rank], five per sample.
  REQUIRE(batch.points.sizes() == torch::IntArrayRef({10, 5}));
  CHECK(batch.points[5][0].item<float>() == 1.0f);
  CHECK(batch.points[5][1].item<float>() == samples[1].points[0].y);
  CHECK(batch.points[5][2].item<float>() == samples[1].points[0].x);
  CHECK(batch.points[5][3].item<float>() == 3.0f);
  CHECK(batch.points[5][4].item<float>() == 1.0f);

  SECTION("optional parts are undefined unless every sample has them") {
    samples[1].mask = cv::Mat();
    samples[0].saliency = cv::Mat();
    const wsss::Batch partial = wsss::collate(samples, 3, false);
    CHECK_FALSE(partial.mask.defined());
    CHECK_FALSE(partial.saliency.defined());
    CHECK_FALSE(partial.points.defined());
  }
  SECTION("points switched on but none left gives an empty tensor") {
    samples[0].points.clear();
    samples[1].points.clear();
    const wsss::Batch empty = wsss::collate(samples, 3, true);
    CHECK(empty.points.sizes() == torch::IntArrayRef({0, 5}));
  }
}
