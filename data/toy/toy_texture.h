#pragma once
// Textures of the synthetic dataset: smooth noise, the backgrounds (sky, water and the
// neutral ones) and the surfaces objects are painted with. Canvases are CV_32FC3 in RGB order
// with values in [0, 1]; every function draws only from the ToyRandom it is given.
#include <opencv2/core.hpp>

#include "data/toy/toy_random.h"

namespace wsss {

using Rgb = cv::Vec3f;

// Bicubically interpolated random grid with cells of cellX x cellY pixels, CV_32F about [0, 1].
cv::Mat smoothNoise(ToyRandom& random, cv::Size size, double cellX, double cellY);
inline cv::Mat smoothNoise(ToyRandom& random, cv::Size size, double cell) {
  return smoothNoise(random, size, cell, cell);
}

// Octaves of smoothNoise, each half the cell size and half the weight, CV_32F about [0, 1].
cv::Mat fractalNoise(ToyRandom& random, cv::Size size, double cell, int octaves);

// Varies a colour per channel by up to `amount` and in brightness by up to 2 * `amount`.
Rgb jitterColour(ToyRandom& random, const Rgb& colour, double amount);

// Backgrounds, painted into `area` of the canvas.
void paintSky(ToyRandom& random, cv::Mat& canvas, cv::Rect area, bool overcast);
void paintWater(ToyRandom& random, cv::Mat& canvas, cv::Rect area);
// One of several indoor and outdoor textures (wall, grass, bricks, planks, blotches) in muted
// colours, none of them like sky or water.
void paintNeutral(ToyRandom& random, cv::Mat& canvas, cv::Rect area);

// How an object's surface looks: a base colour varied by noise and optional stripes (fur,
// wood grain), shaded from the top of the object's box to its bottom.
struct SurfaceStyle {
  Rgb colour{0.5f, 0.5f, 0.5f};
  double noise = 0.08;        // relative amplitude of the fractal noise
  double noiseCell = 6;       // its coarsest cell, pixels
  double stripes = 0;         // relative amplitude of the stripes, 0 = none
  double stripePeriod = 8;    // pixels
  double stripeAngle = 0;     // radians
  double shadeTop = 1.05;     // brightness factor at the top of the box
  double shadeBottom = 0.85;  // and at its bottom
};

// The surface over the whole canvas, shaded over `box`; CV_32FC3.
cv::Mat surfaceLayer(ToyRandom& random, cv::Size canvas, cv::Rect box, const SurfaceStyle& style);

// Copies `layer` into `canvas` where `mask` is set.
void paintMasked(cv::Mat& canvas, const cv::Mat& layer, const cv::Mat& mask);

}  // namespace wsss
