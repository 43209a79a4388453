#include "data/toy/toy_scene.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "data/toy/toy_annotation.h"
#include "data/toy/toy_random.h"
#include "data/toy/toy_shapes.h"
#include "data/toy/toy_texture.h"

namespace wsss {

namespace {

// The share of boat images set on water and of aeroplane images set in the sky; the rest
// get a neutral background, so the background predicts these classes without defining them.
constexpr double kTypicalBackgroundShare = 0.9;

enum class SceneKind { Neutral, Sea, Sky };

// Where the background bands lie. Rows [0, horizon) are sky (Sea, Sky) or wall (Neutral);
// below lies water down to `shore` (Sea), then ground or floor to the bottom. A band that is
// absent starts at the image height.
struct Layout {
  SceneKind kind = SceneKind::Neutral;
  int horizon = 0;
  int shore = 0;
  bool overcast = false;
};

struct Placed {
  ToyStyle style;
  ToyPlacement placement;
  ToyShape shape;
  bool flying = false;  // an aeroplane in the sky: no shadow, drawn behind everything
  double bottom = 0;
};

bool contains(const std::vector<int64_t>& classes, int64_t cls) {
  return std::find(classes.begin(), classes.end(), cls) != classes.end();
}

// 1 to 3 objects; most extra objects are of another class, and a cat often meets a dog so
// that the two look-alikes share images.
std::vector<int64_t> sampleClasses(ToyRandom& random) {
  const double roll = random.uniform();
  const int count = roll < 0.45 ? 1 : roll < 0.8 ? 2 : 3;
  const int64_t first = random.uniformInt(1, kToyClassCount);
  std::vector<int64_t> classes = {first};
  for (int i = 1; i < count; ++i) {
    if (!random.chance(0.6)) {
      classes.push_back(first);
    } else if ((first == kToyCat || first == kToyDog) && random.chance(0.4)) {
      classes.push_back(first == kToyCat ? kToyDog : kToyCat);
    } else {
      int64_t other = random.uniformInt(1, kToyClassCount - 1);
      if (other >= first) ++other;
      classes.push_back(other);
    }
  }
  return classes;
}

Layout chooseLayout(ToyRandom& random, const std::vector<ToyStyle>& styles, cv::Size size) {
  std::vector<int64_t> classes;
  bool lowContrastPlane = false;
  for (const ToyStyle& style : styles) {
    classes.push_back(style.cls);
    lowContrastPlane = lowContrastPlane || (style.cls == kToyAeroplane && style.lowContrast);
  }
  const bool standing = std::any_of(classes.begin(), classes.end(), [](int64_t cls) {
    return cls != kToyBoat && cls != kToyAeroplane;
  });
  const int height = size.height;
  Layout layout;
  layout.horizon = height;
  layout.shore = height;
  if (contains(classes, kToyBoat) && random.chance(kTypicalBackgroundShare)) {
    layout.kind = SceneKind::Sea;
    const bool plane = contains(classes, kToyAeroplane);
    // Without an aeroplane the sky is a thin strip, so that sky stays the aeroplane's background.
    layout.horizon =
        static_cast<int>(height * (plane ? random.uniform(0.38, 0.48) : random.uniform(0.12, 0.3)));
    if (standing) layout.shore = static_cast<int>(height * random.uniform(0.7, 0.8));
  } else if (contains(classes, kToyAeroplane) && random.chance(kTypicalBackgroundShare)) {
    layout.kind = SceneKind::Sky;
    if (standing) layout.horizon = static_cast<int>(height * random.uniform(0.6, 0.72));
  } else if (random.chance(0.5)) {
    layout.horizon = static_cast<int>(height * random.uniform(0.45, 0.7));
  }
  if (layout.kind != SceneKind::Neutral)
    layout.overcast = random.chance(lowContrastPlane ? 0.6 : 0.25);
  return layout;
}

void fillRegion(cv::Mat& region, int top, int bottom, ToyRegion value) {
  if (bottom > top) region.rowRange(top, bottom).setTo(value);
}

// Paints the background bands; returns the ToyRegion of each pixel.
cv::Mat paintBackground(ToyRandom& random, cv::Mat& canvas, const Layout& layout) {
  const int width = canvas.cols;
  const int height = canvas.rows;
  cv::Mat region(canvas.size(), CV_8UC1, cv::Scalar(kToyNeutral));
  auto band = [&](int top, int bottom) { return cv::Rect(0, top, width, bottom - top); };
  switch (layout.kind) {
    case SceneKind::Sea:
      paintSky(random, canvas, band(0, layout.horizon), layout.overcast);
      paintWater(random, canvas, band(layout.horizon, layout.shore));
      if (layout.shore < height) paintNeutral(random, canvas, band(layout.shore, height));
      fillRegion(region, 0, layout.horizon, kToySky);
      fillRegion(region, layout.horizon, layout.shore, kToyWater);
      break;
    case SceneKind::Sky:
      paintSky(random, canvas, band(0, layout.horizon), layout.overcast);
      if (layout.horizon < height) paintNeutral(random, canvas, band(layout.horizon, height));
      fillRegion(region, 0, layout.horizon, kToySky);
      break;
    case SceneKind::Neutral:
      paintNeutral(random, canvas, band(0, layout.horizon));
      if (layout.horizon < height) paintNeutral(random, canvas, band(layout.horizon, height));
      break;
  }
  return region;
}

// Background things that belong to no class: a sun, buoys, posters and balls. Some of them
// are what a saliency detector wrongly picks out; their masks are returned for that.
std::vector<cv::Mat> paintProps(ToyRandom& random, cv::Mat& canvas, const Layout& layout) {
  const cv::Size size = canvas.size();
  const double side = std::min(size.width, size.height);
  std::vector<cv::Mat> props;
  auto paint = [&](const cv::Mat& mask, const Rgb& colour, double noise) {
    SurfaceStyle style;
    style.colour = colour;
    style.noise = noise;
    style.shadeTop = 1.05;
    style.shadeBottom = 0.9;
    paintMasked(canvas, surfaceLayer(random, size, cv::boundingRect(mask), style), mask);
    props.push_back(mask);
  };
  auto disc = [&](int top, int bottom, double radius) {
    cv::Mat mask = cv::Mat::zeros(size, CV_8UC1);
    const int x = static_cast<int>(random.uniformInt(0, size.width - 1));
    const int y = static_cast<int>(random.uniformInt(top, std::max(top, bottom - 1)));
    cv::circle(mask, {x, y}, std::max(2, static_cast<int>(radius)), cv::Scalar(255), cv::FILLED);
    return mask;
  };
  if (layout.kind != SceneKind::Neutral && !layout.overcast && random.chance(0.3)) {
    paint(disc(0, layout.horizon / 2, side * random.uniform(0.04, 0.08)), {1.0f, 0.97f, 0.85f},
          0.01);
  }
  if (layout.kind == SceneKind::Sea && random.chance(0.3)) {
    // One draw per statement: the order of a call's arguments is the compiler's choice, and
    // the same seed must write the same files whatever compiled it (here and below).
    const Rgb buoyColour = jitterColour(random, {0.95f, 0.35f, 0.1f}, 0.05);
    paint(disc(layout.horizon + 4, layout.shore, side * random.uniform(0.015, 0.03)), buoyColour,
          0.05);
  }
  const int neutralTop =
      layout.kind == SceneKind::Neutral
          ? 0
          : std::min(size.height - 1,
                     layout.kind == SceneKind::Sea ? layout.shore : layout.horizon);
  if (neutralTop < size.height - 8) {
    const int64_t count = random.uniformInt(0, 2);
    for (int64_t i = 0; i < count; ++i) {
      static const std::vector<Rgb> colours = {{0.85f, 0.2f, 0.2f},  {0.2f, 0.5f, 0.85f},
                                               {0.95f, 0.85f, 0.2f}, {0.3f, 0.7f, 0.35f},
                                               {0.9f, 0.9f, 0.9f},   {0.6f, 0.3f, 0.7f}};
      const Rgb colour = jitterColour(random, random.pick(colours), 0.06);
      if (random.chance(0.5)) {
        paint(disc(neutralTop, size.height, side * random.uniform(0.04, 0.08)), colour, 0.06);
      } else {
        cv::Mat mask = cv::Mat::zeros(size, CV_8UC1);
        const int w = static_cast<int>(side * random.uniform(0.1, 0.25));
        const int h = static_cast<int>(side * random.uniform(0.1, 0.25));
        const int x = static_cast<int>(random.uniformInt(0, size.width - w));
        const int y = static_cast<int>(
            random.uniformInt(neutralTop, std::max<int>(neutralTop, size.height - h)));
        cv::rectangle(mask, cv::Rect(x, y, w, h), cv::Scalar(255), cv::FILLED);
        paint(mask, colour, 0.1);
      }
    }
  }
  // A real saliency detector fires on some background thing in about a third of the images.
  std::vector<cv::Mat> salient;
  if (random.chance(0.35)) {
    if (props.empty()) {
      const Rgb propColour = jitterColour(random, {0.95f, 0.9f, 0.3f}, 0.05);
      paint(disc(0, size.height, side * random.uniform(0.05, 0.09)), propColour, 0.04);
    }
    salient.push_back(
        props[static_cast<size_t>(random.uniformInt(0, static_cast<int64_t>(props.size()) - 1))]);
  }
  return salient;
}

// The range of rows the bottom of an object's box may take in this layout.
std::pair<double, double> bottomRange(const Placed& placed, const Layout& layout, cv::Size size,
                                      double boxHeight) {
  const int64_t cls = placed.style.cls;
  const double height = size.height;
  double low = 0.85 * boxHeight;
  double high = height - 1 + 0.05 * boxHeight;
  if (placed.flying) {
    high = layout.horizon - 1;
  } else if (cls == kToyBoat && layout.kind == SceneKind::Sea) {
    // The hull's deck lies at 0.2 units above its keel: keep all of the hull in the water.
    low = std::max(layout.horizon + 0.22 * placed.placement.scale,
                   layout.horizon + 0.15 * (layout.shore - layout.horizon));
    high = layout.shore - 1;
  } else {
    const int ground = layout.kind == SceneKind::Sea ? layout.shore : layout.horizon;
    if (ground < size.height) low = ground + 0.3 * (height - ground);
  }
  return {std::min(low, high), high};
}

void placeOne(ToyRandom& random, Placed& placed, const Layout& layout, cv::Size size) {
  placed.placement.centre = {0, 0};
  const cv::Rect2d bounds = toyShapeBounds(placed.style, placed.placement);
  const auto [low, high] = bottomRange(placed, layout, size, bounds.height);
  placed.bottom = random.uniform(low, high);
  const double left = random.uniform(
      -0.12 * bounds.width, std::max(-0.12 * bounds.width, size.width - 0.88 * bounds.width));
  placed.placement.centre = {left - bounds.x, placed.bottom - (bounds.y + bounds.height)};
}

// Sizes, facing and turn of each object, fixed before positions are tried.
std::vector<Placed> prepare(ToyRandom& random, const std::vector<ToyStyle>& styles,
                            const Layout& layout, cv::Size size) {
  const double side = std::min(size.width, size.height);
  const size_t count = styles.size();
  std::vector<Placed> placed;
  for (const ToyStyle& style : styles) {
    Placed item;
    item.style = style;
    item.flying = style.cls == kToyAeroplane && layout.kind != SceneKind::Neutral;
    double share = count == 1   ? random.uniform(0.55, 0.85)
                   : count == 2 ? random.uniform(0.42, 0.65)
                                : random.uniform(0.34, 0.5);
    if (count > 1 && random.chance(0.15)) share = random.uniform(0.18, 0.28);
    if (style.cls == kToyPerson) share *= 1.15;     // a person's unit is its height, not its width
    if (style.cls == kToyAeroplane) share *= 1.25;  // thin: its area is small for its width
    item.placement.scale = share * side;
    item.placement.mirror = random.chance(0.5);
    if (item.flying) item.placement.angle = random.uniform(-0.2, 0.2);
    const cv::Rect2d bounds = toyShapeBounds(style, item.placement);
    if (item.flying && bounds.height > 0.9 * layout.horizon) {
      item.placement.scale *= 0.9 * layout.horizon / bounds.height;
    }
    if (style.cls == kToyBoat && layout.kind == SceneKind::Sea) {
      item.placement.scale = std::min(item.placement.scale, (layout.shore - layout.horizon) / 0.3);
    }
    placed.push_back(item);
  }
  return placed;
}

// Whether every object shows enough of itself, away from its borders, to be annotated.
bool visibleEnough(const std::vector<Placed>& placed) {
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(5, 5));
  for (size_t k = 0; k < placed.size(); ++k) {
    cv::Mat visible = placed[k].shape.mask.clone();
    for (size_t front = k + 1; front < placed.size(); ++front)
      visible.setTo(0, placed[front].shape.mask);
    const int area = cv::countNonZero(placed[k].shape.mask);
    if (area < 150 || cv::countNonZero(visible) < 0.55 * area) return false;
    cv::Mat core;
    cv::erode(visible, core, kernel);
    if (cv::countNonZero(core) < 20) return false;
  }
  return true;
}

// Positions tried until every object is visible enough; after every ten failures the last
// object is dropped.
std::vector<Placed> placeObjects(ToyRandom& random, std::vector<Placed> placed,
                                 const Layout& layout, cv::Size size) {
  for (int attempt = 1;; ++attempt) {
    for (Placed& item : placed) placeOne(random, item, layout, size);
    // Back to front: aeroplanes in the sky, then what stands further up the image.
    std::stable_sort(placed.begin(), placed.end(), [](const Placed& a, const Placed& b) {
      if (a.flying != b.flying) return a.flying;
      return a.bottom < b.bottom;
    });
    for (Placed& item : placed) item.shape = drawToyShape(item.style, item.placement, size);
    if (visibleEnough(placed) || (placed.size() == 1 && attempt >= 40)) return placed;
    if (attempt % 10 == 0 && placed.size() > 1) placed.pop_back();
  }
}

void paintShadow(cv::Mat& canvas, const Placed& placed) {
  const cv::Rect2d& bounds = placed.shape.bounds;
  cv::Mat shadow = cv::Mat::zeros(canvas.size(), CV_32F);
  const cv::Point centre(static_cast<int>(bounds.x + bounds.width / 2),
                         static_cast<int>(bounds.y + bounds.height));
  const cv::Size axes(static_cast<int>(bounds.width * 0.5),
                      static_cast<int>(2 + bounds.height * 0.06));
  cv::ellipse(shadow, centre, axes, 0, 0, 360, cv::Scalar(0.35), cv::FILLED);
  cv::GaussianBlur(shadow, shadow, cv::Size(0, 0), 3.0);
  cv::Mat keep;
  cv::cvtColor(1.0 - shadow, keep, cv::COLOR_GRAY2RGB);
  canvas = canvas.mul(keep);
}

void composite(cv::Mat& canvas, const cv::Mat& colour, const cv::Mat& mask) {
  // A softened mask blends the object's edge into the background as a camera would.
  cv::Mat alpha;
  mask.convertTo(alpha, CV_32F, 1.0 / 255);
  cv::GaussianBlur(alpha, alpha, cv::Size(3, 3), 0.7);
  // Scalars act on the first channel only of a multi-channel Mat: 1 - alpha is taken in grey.
  cv::Mat alpha3;
  cv::Mat keep3;
  cv::cvtColor(alpha, alpha3, cv::COLOR_GRAY2RGB);
  cv::cvtColor(1.0 - alpha, keep3, cv::COLOR_GRAY2RGB);
  canvas = canvas.mul(keep3) + colour.mul(alpha3);
}

// Uneven light, slight blur and sensor noise, then 8 bits.
cv::Mat finish(ToyRandom& random, const cv::Mat& canvas) {
  const cv::Size size = canvas.size();
  const double lightStrength = random.uniform(0.15, 0.3);
  cv::Mat light = smoothNoise(random, size, random.uniform(60, 120)) * lightStrength;
  light += 1.0 - cv::mean(light)[0];  // brightness varies around 1
  cv::Mat light3;
  cv::cvtColor(light, light3, cv::COLOR_GRAY2RGB);
  cv::Mat image = canvas.mul(light3);
  const double castBlue = random.uniform(0.96, 1.04);
  const double castGreen = random.uniform(0.96, 1.04);
  const double castRed = random.uniform(0.96, 1.04);
  const cv::Scalar cast(castRed, castGreen, castBlue);
  cv::multiply(image, cast, image);
  cv::GaussianBlur(image, image, cv::Size(0, 0), random.uniform(0.45, 0.9));
  const double sigma = random.uniform(0.01, 0.03);
  for (int y = 0; y < size.height; ++y) {
    auto* row = image.ptr<Rgb>(y);
    for (int x = 0; x < size.width; ++x) {
      for (int c = 0; c < 3; ++c) row[x][c] += static_cast<float>(sigma * random.normal());
    }
  }
  cv::Mat result;
  image.convertTo(result, CV_8UC3, 255.0);
  return result;
}

}  // namespace

ToyScene makeToyScene(uint64_t seed) {
  ToyRandom random(seed);
  const int height = static_cast<int>(random.uniformInt(160, 240));
  const int width = static_cast<int>(random.uniformInt(160, 240));
  const cv::Size size(width, height);
  std::vector<ToyStyle> styles;
  for (int64_t cls : sampleClasses(random)) styles.push_back(sampleToyStyle(random, cls));
  const Layout layout = chooseLayout(random, styles, size);

  cv::Mat canvas(size, CV_32FC3);
  ToyScene scene;
  scene.region = paintBackground(random, canvas, layout);
  const std::vector<cv::Mat> distractors = paintProps(random, canvas, layout);
  const std::vector<Placed> placed =
      placeObjects(random, prepare(random, styles, layout, size), layout, size);

  for (const Placed& item : placed) {
    if (!item.flying) paintShadow(canvas, item);
  }
  scene.label = cv::Mat::zeros(size, CV_8UC1);
  scene.instance = cv::Mat::zeros(size, CV_8UC1);
  for (size_t k = 0; k < placed.size(); ++k) {
    const Placed& item = placed[k];
    composite(canvas, paintToyShape(random, item.style, item.shape), item.shape.mask);
    scene.label.setTo(static_cast<int>(item.style.cls), item.shape.mask);
    scene.instance.setTo(static_cast<int>(k + 1), item.shape.mask);
  }
  scene.image = finish(random, canvas);

  const cv::Rect frame(0, 0, size.width, size.height);
  for (size_t k = 0; k < placed.size(); ++k) {
    const Placed& item = placed[k];
    const cv::Mat visible = scene.instance == static_cast<int>(k + 1);
    ToyObject object;
    object.cls = item.style.cls;
    object.box = cv::boundingRect(visible);
    const cv::Rect2d& bounds = item.shape.bounds;
    object.truncated = bounds.x < 0 || bounds.y < 0 || bounds.x + bounds.width > frame.width ||
                       bounds.y + bounds.height > frame.height;
    object.area = cv::countNonZero(item.shape.mask);
    object.visibleArea = cv::countNonZero(visible);
    object.partArea = cv::countNonZero(item.shape.partMask);
    object.camouflaged = item.flying && item.style.lowContrast && layout.overcast;
    scene.objects.push_back(object);
  }
  addVoidBand(scene.label, scene.instance);
  addSaliency(random, scene, distractors);
  addClicks(random, scene);
  return scene;
}

}  // namespace wsss
