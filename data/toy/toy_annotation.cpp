#include "data/toy/toy_annotation.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "data/toy/toy_texture.h"

namespace wsss {

namespace {

// Objects smaller than this share of the image are faint in the saliency map, as real
// detectors often miss small things.
constexpr double kSmallObjectShare = 0.025;

// Grows (radius > 0) or shrinks (radius < 0) a mask by a square of that radius.
cv::Mat morph(const cv::Mat& mask, int radius) {
  if (radius == 0) return mask.clone();
  const int side = 2 * std::abs(radius) + 1;
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(side, side));
  cv::Mat result;
  if (radius > 0)
    cv::dilate(mask, result, kernel);
  else
    cv::erode(mask, result, kernel);
  return result;
}

// The object's saliency: bright and well shaped for most, with the failures of real
// detectors for the rest.
double objectStrength(ToyRandom& random, const ToyObject& object, int64_t imageArea) {
  if (object.camouflaged) return random.uniform(0.1, 0.35);
  if (object.visibleArea < kSmallObjectShare * imageArea) return random.uniform(0.05, 0.35);
  if (random.chance(0.1)) return random.uniform(0.1, 0.4);
  return random.uniform(0.8, 1.0);
}

cv::Mat misshape(ToyRandom& random, const cv::Mat& mask, const cv::Rect& box) {
  const double roll = random.uniform();
  if (roll < 0.25) return morph(mask, static_cast<int>(random.uniformInt(1, 3)));
  if (roll < 0.5) return morph(mask, -static_cast<int>(random.uniformInt(1, 2)));
  if (roll < 0.6) {
    // Only one half of the object stands out.
    cv::Mat half = mask.clone();
    cv::Rect hidden = box;
    if (random.chance(0.5)) {
      hidden.height /= 2;
      if (random.chance(0.5)) hidden.y += box.height - hidden.height;
    } else {
      hidden.width /= 2;
      if (random.chance(0.5)) hidden.x += box.width - hidden.width;
    }
    half(hidden).setTo(0);
    return half;
  }
  return mask;
}

// Pixels of `mask` whose distance to its outside is at least `share` of the largest, in
// row-major order.
std::vector<cv::Point> innerPixels(const cv::Mat& mask, double share) {
  std::vector<cv::Point> pixels;
  if (cv::countNonZero(mask) == 0) return pixels;
  cv::Mat distance;
  cv::distanceTransform(mask, distance, cv::DIST_L2, 3);
  double largest = 0;
  cv::minMaxLoc(distance, nullptr, &largest);
  const float threshold = static_cast<float>(std::max(1.0, share * largest));
  for (int y = 0; y < mask.rows; ++y) {
    const float* row = distance.ptr<float>(y);
    for (int x = 0; x < mask.cols; ++x) {
      if (row[x] >= threshold) pixels.emplace_back(x, y);
    }
  }
  return pixels;
}

}  // namespace

void addVoidBand(cv::Mat& label, const cv::Mat& owner) {
  // Mark the pixel before each change of owner along rows and columns, then widen the marks
  // by one pixel each way: a band three pixels across every border.
  cv::Mat border = cv::Mat::zeros(owner.size(), CV_8UC1);
  for (int y = 0; y < owner.rows; ++y) {
    const uint8_t* row = owner.ptr<uint8_t>(y);
    const uint8_t* below = y + 1 < owner.rows ? owner.ptr<uint8_t>(y + 1) : nullptr;
    uint8_t* mark = border.ptr<uint8_t>(y);
    for (int x = 0; x < owner.cols; ++x) {
      const bool right = x + 1 < owner.cols && row[x + 1] != row[x];
      const bool down = below && below[x] != row[x];
      if (right || down) mark[x] = 255;
    }
  }
  label.setTo(255, morph(border, 1));
}

void addSaliency(ToyRandom& random, ToyScene& scene, const std::vector<cv::Mat>& distractors) {
  const cv::Size size = scene.image.size();
  const int64_t imageArea = static_cast<int64_t>(size.area());
  cv::Mat saliency = cv::Mat::zeros(size, CV_32F);
  for (size_t k = 0; k < scene.objects.size(); ++k) {
    ToyObject& object = scene.objects[k];
    object.saliency = objectStrength(random, object, imageArea);
    const cv::Mat visible = scene.instance == static_cast<int>(k + 1);
    const cv::Mat shown = misshape(random, visible, object.box);
    cv::Mat strength(size, CV_32F, cv::Scalar(object.saliency));
    cv::Mat layer = cv::Mat::zeros(size, CV_32F);
    strength.copyTo(layer, shown);
    saliency = cv::max(saliency, layer);
  }
  for (const cv::Mat& distractor : distractors) {
    cv::Mat layer = cv::Mat::zeros(size, CV_32F);
    layer.setTo(random.uniform(0.5, 0.9), distractor);
    saliency = cv::max(saliency, layer);
  }
  const double sigma = random.uniform(1.2, 2.5);
  cv::GaussianBlur(saliency, saliency, cv::Size(0, 0), sigma);
  const cv::Mat haze = fractalNoise(random, size, 30.0, 2);
  saliency += (haze - 0.5) * 0.08;
  saliency.convertTo(scene.saliency, CV_8UC1, 255.0);
}

void addClicks(ToyRandom& random, ToyScene& scene) {
  scene.points.clear();
  for (size_t k = 0; k < scene.objects.size(); ++k) {
    const int64_t cls = scene.objects[k].cls;
    const cv::Mat own =
        (scene.instance == static_cast<int>(k + 1)) & (scene.label == static_cast<int>(cls));
    const std::vector<cv::Point> inside = innerPixels(own, 0.35);
    if (inside.empty()) continue;
    const cv::Point click =
        inside[static_cast<size_t>(random.uniformInt(0, static_cast<int64_t>(inside.size()) - 1))];
    scene.points.push_back(Point{static_cast<float>(click.x), static_cast<float>(click.y), 1, cls});
  }
  if (random.chance(0.5)) {
    const cv::Mat background = scene.label == 0;
    cv::Mat distance;
    cv::distanceTransform(background, distance, cv::DIST_L2, 3);
    std::vector<cv::Point> candidates;  // six pixels or more from any object or void
    for (int y = 0; y < distance.rows; ++y) {
      for (int x = 0; x < distance.cols; ++x) {
        if (distance.at<float>(y, x) >= 6.0f) candidates.emplace_back(x, y);
      }
    }
    if (!candidates.empty()) {
      const cv::Point click = candidates[static_cast<size_t>(
          random.uniformInt(0, static_cast<int64_t>(candidates.size()) - 1))];
      scene.points.push_back(Point{static_cast<float>(click.x), static_cast<float>(click.y), 1, 0});
    }
  }
}

}  // namespace wsss
