#pragma once
// The object classes of the synthetic dataset: how each one looks (a style drawn at random
// within the class) and how it is drawn at a placement. Shapes are built from polygons in
// object units (x right, y down, about one unit across), so a style can be measured at any
// placement before it is rasterised.
#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

#include "data/toy/toy_random.h"
#include "data/toy/toy_texture.h"

namespace wsss {

// Mask values of the classes; the order of toyClassNames().
enum ToyClass : int64_t {
  kToyAeroplane = 1,
  kToyBoat = 2,
  kToyCar = 3,
  kToyCat = 4,
  kToyDog = 5,
  kToyPerson = 6,
};
constexpr int64_t kToyClassCount = 6;

// Everything random about one object's look, drawn before it is placed.
struct ToyStyle {
  int64_t cls = kToyCat;
  int variant = 0;                   // boat: 0 sailing, 1 motor; person: 0 trousers, 1 dress
  bool lowContrast = false;          // aeroplane: grey or silver, hard to see on an overcast sky
  std::vector<SurfaceStyle> paints;  // surfaces, indexed by the pieces of the shape
};

// Where an object goes: its unit square's centre and size on the canvas (pixels per unit),
// mirrored to face left, and turned by `angle` radians.
struct ToyPlacement {
  cv::Point2d centre;
  double scale = 100;
  bool mirror = false;
  double angle = 0;
};

struct ToyShape {
  cv::Mat mask;        // CV_8UC1, 255 on the object
  cv::Mat partMask;    // CV_8UC1, 255 on the distinguishing part (cat ears, dog ear) as seen
  cv::Mat paintIndex;  // CV_8UC1, the surface index of each object pixel, 255 elsewhere
  cv::Rect2d bounds;   // the whole shape's extent on the canvas, unclipped
};

ToyStyle sampleToyStyle(ToyRandom& random, int64_t cls);

// The extent of a style's shape at a placement, unclipped, without rasterising it.
cv::Rect2d toyShapeBounds(const ToyStyle& style, const ToyPlacement& placement);

ToyShape drawToyShape(const ToyStyle& style, const ToyPlacement& placement, cv::Size canvas);

// The object's colours over the whole canvas (CV_32FC3, RGB in [0, 1]); valid under its mask.
cv::Mat paintToyShape(ToyRandom& random, const ToyStyle& style, const ToyShape& shape);

}  // namespace wsss
