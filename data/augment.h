#pragma once
// Training augmentation of one sample: random rescale, horizontal flip, colour jitter,
// normalisation and a random crop padded where the image is smaller. The mask (nearest), the
// saliency (bilinear) and the points follow every geometric step; docs/loader.md gives the
// conventions. All randomness comes from the caller's generator, so a sample's result depends
// only on that generator's seed.
#include <array>
#include <cstdint>
#include <opencv2/core.hpp>
#include <random>
#include <string>
#include <vector>

#include "data/data_options.h"
#include "data/sample.h"

namespace wsss {

struct AugmentedSample {
  std::string id;
  cv::Mat image;              // CV_32FC3, RGB, normalised; padding is 0
  cv::Mat mask;               // CV_8UC1 (255 = void or padding); empty if the sample had none
  cv::Mat saliency;           // CV_32FC1 in [0, 1], padding 0; empty if the sample had none
  std::vector<Point> points;  // in output pixel coordinates; those outside are dropped
  std::array<int64_t, 4> cropBox{};  // [top, left, bottom, right) of the real image
  std::vector<uint8_t> labels;
};

// The pixel a (sub-pixel) coordinate falls in: round half up.
int64_t pixelIndex(float coordinate);

class Augmenter {
 public:
  // training = false: no random operation, only normalisation (crop box = whole image).
  Augmenter(AugmentOptions options, bool training);

  // Throws wsss::Error naming the sample id when image, mask and saliency disagree in size or
  // type.
  AugmentedSample apply(const Sample& sample, std::mt19937_64& rng) const;

  const AugmentOptions& options() const { return options_; }
  bool training() const { return training_; }

 private:
  AugmentOptions options_;
  bool training_;
};

}  // namespace wsss
