#pragma once
// One image and everything known about it, as read from disk and carried through
// augmentation. cv::Mat stays inside data/; batches leave as tensors (see batch.h).
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace wsss {

// A click in the What's-the-Point format: zero-based pixel coordinates, cls 1..C for an
// object click and 0 for a background click (the mask convention: 0 = background).
struct Point {
  float x = 0;
  float y = 0;
  int64_t rank = 1;
  int64_t cls = 0;
};

struct Sample {
  std::string id;
  cv::Mat image;     // CV_8UC3, RGB order
  cv::Mat mask;      // CV_8UC1 class indices (0 = background, 1..C, 255 = void); empty if none
  cv::Mat saliency;  // CV_8UC1 grey 0..255; empty unless a method reads saliency maps
  std::vector<Point> points;    // empty unless a method reads clicks
  std::vector<uint8_t> labels;  // size C: 1 where foreground class c (mask value c+1) is present
};

}  // namespace wsss
