#pragma once
// One image of the synthetic dataset with everything known about it: the picture, its class
// mask, which object owns each pixel, which background each pixel shows, an imperfect
// saliency map and one click per object. The dataset writer turns scenes into VOC files;
// tests measure them directly.
#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

#include "data/sample.h"

namespace wsss {

// The kind of background under each pixel. Boats sit on water and aeroplanes fly in the sky
// in nearly every image that has them: the co-occurrence the dataset is built to show.
enum ToyRegion : uint8_t { kToyNeutral = 0, kToySky = 1, kToyWater = 2 };

struct ToyObject {
  int64_t cls = 0;           // 1..C
  cv::Rect box;              // the visible pixels' extent
  bool truncated = false;    // the shape runs past the image border
  int64_t area = 0;          // pixels of the whole shape inside the image
  int64_t visibleArea = 0;   // of which not hidden by objects in front of it
  int64_t partArea = 0;      // pixels of its distinguishing part (cat ears, dog ear), as drawn
  double saliency = 0;       // how strongly the saliency map shows it, 0..1
  bool camouflaged = false;  // a grey aeroplane on an overcast sky
};

struct ToyScene {
  cv::Mat image;     // CV_8UC3, RGB
  cv::Mat label;     // CV_8UC1: 0 background, 1..C, 255 the void band at borders
  cv::Mat instance;  // CV_8UC1: k where objects[k - 1] is visible (before the void band), else 0
  cv::Mat region;    // CV_8UC1 ToyRegion of the background behind every pixel
  cv::Mat saliency;  // CV_8UC1 grey 0..255
  std::vector<ToyObject> objects;  // back to front
  std::vector<Point> points;       // one click per object, then at times a background click
};

// The scene for one seed; the dataset uses toyImageSeed(dataset seed, image number).
ToyScene makeToyScene(uint64_t seed);

}  // namespace wsss
