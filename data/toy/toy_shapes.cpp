#include "data/toy/toy_shapes.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace wsss {

namespace {

constexpr double kPi = 3.141592653589793;
using Polygon = std::vector<cv::Point2d>;

// One drawn piece of a shape: polygons in object units, painted with one surface. Later
// pieces cover earlier ones.
struct Piece {
  std::vector<Polygon> polygons;
  int paint = 0;
  bool part = false;
};

Polygon ellipse(double cx, double cy, double ax, double ay, double angle = 0, int vertices = 48) {
  Polygon polygon;
  const double cosine = std::cos(angle);
  const double sine = std::sin(angle);
  for (int i = 0; i < vertices; ++i) {
    const double t = 2.0 * kPi * i / vertices;
    const double x = ax * std::cos(t);
    const double y = ay * std::sin(t);
    polygon.emplace_back(cx + x * cosine - y * sine, cy + x * sine + y * cosine);
  }
  return polygon;
}

Polygon circle(double cx, double cy, double radius) { return ellipse(cx, cy, radius, radius); }

// A straight bar of the given width from (x0, y0) to (x1, y1).
Polygon bar(double x0, double y0, double x1, double y1, double width) {
  const double length = std::max(1e-9, std::hypot(x1 - x0, y1 - y0));
  const double nx = -(y1 - y0) / length * width / 2;
  const double ny = (x1 - x0) / length * width / 2;
  return {{x0 + nx, y0 + ny}, {x1 + nx, y1 + ny}, {x1 - nx, y1 - ny}, {x0 - nx, y0 - ny}};
}

Piece piece(std::vector<Polygon> polygons, int paint, bool part = false) {
  return Piece{std::move(polygons), paint, part};
}

// Cats and dogs share this body exactly; only their distinguishing parts differ.
enum AnimalPaint { kFur = 0, kFeatures = 1, kAnimalPart = 2 };

std::vector<Piece> animalPieces(int64_t cls) {
  const double headX = 0.33;
  const double headY = -0.13;
  const double headRadius = 0.15;
  std::vector<Piece> pieces;
  pieces.push_back(piece({bar(-0.36, 0.0, -0.5, -0.2, 0.05), circle(-0.5, -0.2, 0.025)}, kFur));
  std::vector<Polygon> legs;
  for (double x : {-0.28, -0.17, 0.10, 0.21}) legs.push_back(bar(x, 0.08, x, 0.34, 0.075));
  pieces.push_back(piece(legs, kFur));
  pieces.push_back(
      piece({ellipse(-0.05, 0.04, 0.36, 0.18), ellipse(0.24, -0.04, 0.12, 0.12)}, kFur));
  if (cls == kToyCat) {
    // Two pointed ears, fur outside and pink inside, drawn before the head covers their base.
    std::vector<Polygon> outer;
    std::vector<Polygon> inner;
    for (double degrees : {-115.0, -62.0}) {
      const double angle = degrees * kPi / 180;
      const double spread = 24.0 * kPi / 180;
      auto onHead = [&](double radius, double a) {
        return cv::Point2d(headX + radius * std::cos(a), headY + radius * std::sin(a));
      };
      outer.push_back({onHead(0.9 * headRadius, angle - spread), onHead(headRadius + 0.18, angle),
                       onHead(0.9 * headRadius, angle + spread)});
      inner.push_back({onHead(headRadius * 0.95, angle - 0.6 * spread),
                       onHead(headRadius + 0.13, angle),
                       onHead(headRadius * 0.95, angle + 0.6 * spread)});
    }
    pieces.push_back(piece(outer, kFur, true));
    pieces.push_back(piece(inner, kAnimalPart, true));
  }
  pieces.push_back(
      piece({circle(headX, headY, headRadius), ellipse(0.44, -0.08, 0.08, 0.06)}, kFur));
  pieces.push_back(
      piece({circle(0.37, -0.17, 0.022), ellipse(0.515, -0.1, 0.022, 0.016)}, kFeatures));
  if (cls == kToyDog) {
    // One dark floppy ear hanging over the side of the head.
    pieces.push_back(
        piece({ellipse(0.27, -0.07, 0.055, 0.14, 25.0 * kPi / 180)}, kAnimalPart, true));
  }
  return pieces;
}

enum PlanePaint { kPlaneBody = 0, kPlaneAccent = 1, kPlaneGlass = 2, kPlaneWing = 3 };

std::vector<Piece> aeroplanePieces() {
  std::vector<Piece> pieces;
  pieces.push_back(piece({{{-0.02, -0.02}, {0.09, -0.02}, {-0.1, -0.2}, {-0.16, -0.2}},
                          {{-0.42, -0.02}, {-0.37, -0.02}, {-0.45, -0.08}, {-0.49, -0.08}}},
                         kPlaneWing));
  pieces.push_back(piece({ellipse(0.0, 0.0, 0.5, 0.07)}, kPlaneBody));
  pieces.push_back(piece({{{-0.5, -0.01}, {-0.35, -0.01}, {-0.45, -0.24}, {-0.52, -0.24}},
                          {{-0.5, -0.045}, {0.42, -0.045}, {0.42, -0.025}, {-0.5, -0.025}}},
                         kPlaneAccent));
  pieces.push_back(piece({{{-0.06, 0.02}, {0.14, 0.02}, {-0.13, 0.33}, {-0.22, 0.33}},
                          {{-0.44, 0.02}, {-0.37, 0.02}, {-0.47, 0.11}, {-0.52, 0.11}},
                          ellipse(-0.02, 0.13, 0.07, 0.03)},
                         kPlaneWing));
  std::vector<Polygon> windows = {ellipse(0.43, -0.02, 0.045, 0.025)};
  for (int i = 0; i < 8; ++i) windows.push_back(circle(0.3 - 0.075 * i, -0.005, 0.013));
  pieces.push_back(piece(windows, kPlaneGlass));
  return pieces;
}

enum BoatPaint { kHull = 0, kTrim = 1, kSail = 2, kCabin = 3, kBoatGlass = 4, kMast = 5 };

std::vector<Piece> boatPieces(int variant) {
  std::vector<Piece> pieces;
  if (variant == 0) {
    pieces.push_back(piece({bar(0.0, -0.05, 0.0, -0.8, 0.025)}, kMast));
    pieces.push_back(piece({{{-0.015, -0.76}, {-0.015, -0.1}, {-0.4, -0.1}},
                            {{0.015, -0.68}, {0.015, -0.12}, {0.33, -0.12}}},
                           kSail));
  } else {
    pieces.push_back(
        piece({{{-0.25, -0.05}, {-0.25, -0.25}, {0.05, -0.25}, {0.2, -0.06}}}, kCabin));
    pieces.push_back(piece({{{-0.2, -0.12}, {-0.2, -0.2}, {-0.1, -0.2}, {-0.1, -0.12}},
                            {{-0.06, -0.12}, {-0.06, -0.2}, {0.05, -0.2}, {0.1, -0.12}}},
                           kBoatGlass));
  }
  pieces.push_back(piece({{{-0.5, -0.06}, {0.5, -0.1}, {0.36, 0.1}, {-0.4, 0.1}}}, kHull));
  pieces.push_back(
      piece({{{-0.49, -0.03}, {0.47, -0.065}, {0.455, -0.04}, {-0.48, -0.005}}}, kTrim));
  return pieces;
}

enum CarPaint { kCarBody = 0, kCarGlass = 1, kTyre = 2, kHub = 3, kLight = 4 };

std::vector<Piece> carPieces() {
  std::vector<Piece> pieces;
  pieces.push_back(
      piece({{{-0.5, -0.04}, {-0.46, -0.12}, {0.4, -0.13}, {0.5, -0.05}, {0.5, 0.08}, {-0.5, 0.08}},
             {{-0.3, -0.12}, {-0.18, -0.31}, {0.14, -0.31}, {0.28, -0.12}}},
            kCarBody));
  pieces.push_back(piece({{{-0.26, -0.13}, {-0.16, -0.28}, {-0.03, -0.28}, {-0.03, -0.13}},
                          {{0.0, -0.13}, {0.0, -0.28}, {0.12, -0.28}, {0.23, -0.13}}},
                         kCarGlass));
  pieces.push_back(piece({circle(-0.29, 0.08, 0.11), circle(0.3, 0.08, 0.11)}, kTyre));
  pieces.push_back(piece({circle(-0.29, 0.08, 0.05), circle(0.3, 0.08, 0.05)}, kHub));
  pieces.push_back(piece({ellipse(0.47, -0.06, 0.03, 0.02)}, kLight));
  return pieces;
}

enum PersonPaint { kSkin = 0, kHair = 1, kShirt = 2, kTrousers = 3, kShoes = 4 };

std::vector<Piece> personPieces(int variant) {
  std::vector<Piece> pieces;
  pieces.push_back(piece({{{-0.1, 0.02}, {-0.01, 0.02}, {-0.025, 0.45}, {-0.095, 0.45}},
                          {{0.01, 0.02}, {0.1, 0.02}, {0.095, 0.45}, {0.025, 0.45}}},
                         variant == 1 ? kSkin : kTrousers));
  pieces.push_back(
      piece({ellipse(-0.065, 0.46, 0.05, 0.025), ellipse(0.065, 0.46, 0.05, 0.025)}, kShoes));
  std::vector<Polygon> clothes = {{{-0.13, -0.3}, {0.13, -0.3}, {0.115, 0.06}, {-0.115, 0.06}},
                                  bar(-0.13, -0.27, -0.19, 0.0, 0.06),
                                  bar(0.13, -0.27, 0.19, 0.0, 0.06)};
  if (variant == 1) clothes.push_back({{-0.11, 0.0}, {0.11, 0.0}, {0.17, 0.26}, {-0.17, 0.26}});
  pieces.push_back(piece(clothes, kShirt));
  pieces.push_back(piece({circle(-0.195, 0.02, 0.035), circle(0.195, 0.02, 0.035),
                          bar(0.0, -0.35, 0.0, -0.29, 0.05), ellipse(0.0, -0.41, 0.07, 0.085)},
                         kSkin));
  Polygon hair;
  for (int i = 0; i <= 24; ++i) {
    const double t = kPi + kPi * i / 24;
    hair.emplace_back(0.076 * std::cos(t), -0.425 + 0.08 * std::sin(t));
  }
  pieces.push_back(piece({hair}, kHair));
  return pieces;
}

std::vector<Piece> toyPieces(const ToyStyle& style) {
  switch (style.cls) {
    case kToyAeroplane:
      return aeroplanePieces();
    case kToyBoat:
      return boatPieces(style.variant);
    case kToyCar:
      return carPieces();
    case kToyCat:
    case kToyDog:
      return animalPieces(style.cls);
    case kToyPerson:
      return personPieces(style.variant);
    default:
      WSSS_FAIL("toy dataset: unknown class index ", style.cls, ", expected 1..", kToyClassCount);
  }
}

cv::Point2d toCanvas(const ToyPlacement& placement, const cv::Point2d& unit) {
  const double x = placement.mirror ? -unit.x : unit.x;
  const double cosine = std::cos(placement.angle);
  const double sine = std::sin(placement.angle);
  return {placement.centre.x + placement.scale * (x * cosine - unit.y * sine),
          placement.centre.y + placement.scale * (x * sine + unit.y * cosine)};
}

SurfaceStyle surface(ToyRandom& random, const Rgb& colour, double noise, double cell) {
  SurfaceStyle style;
  style.colour = colour;
  style.noise = noise;
  style.noiseCell = cell;
  style.shadeTop = random.uniform(1.0, 1.12);
  style.shadeBottom = random.uniform(0.75, 0.92);
  return style;
}

SurfaceStyle plain(ToyRandom& random, const Rgb& colour) {
  return surface(random, colour, 0.04, 4);
}

ToyStyle animalStyle(ToyRandom& random, int64_t cls) {
  static const std::vector<Rgb> furs = {{0.82f, 0.52f, 0.25f}, {0.55f, 0.55f, 0.57f},
                                        {0.88f, 0.82f, 0.68f}, {0.52f, 0.36f, 0.22f},
                                        {0.30f, 0.28f, 0.27f}, {0.90f, 0.89f, 0.86f}};
  ToyStyle style;
  style.cls = cls;
  SurfaceStyle fur = surface(random, jitterColour(random, random.pick(furs), 0.05), 0.12, 5);
  if (random.chance(0.6)) {
    fur.stripes = random.uniform(0.06, 0.16);
    fur.stripePeriod = random.uniform(5, 10);
    fur.stripeAngle = random.uniform(0, kPi);
  }
  style.paints = {fur, plain(random, {0.08f, 0.06f, 0.05f})};
  // Drawn for both classes so that the body's random draws stay identical between them.
  const Rgb pink = jitterColour(random, {0.92f, 0.62f, 0.66f}, 0.04);
  const Rgb darkEar = jitterColour(random, {0.17f, 0.11f, 0.08f}, 0.03);
  style.paints.push_back(surface(random, cls == kToyCat ? pink : darkEar, 0.06, 3));
  return style;
}

ToyStyle aeroplaneStyle(ToyRandom& random) {
  static const std::vector<Rgb> bodies = {{0.93f, 0.93f, 0.94f},
                                          {0.70f, 0.72f, 0.75f},
                                          {0.60f, 0.62f, 0.64f},
                                          {0.80f, 0.86f, 0.92f},
                                          {0.95f, 0.92f, 0.85f}};
  static const std::vector<Rgb> accents = {
      {0.75f, 0.12f, 0.12f}, {0.10f, 0.25f, 0.65f}, {0.95f, 0.55f, 0.10f}, {0.10f, 0.45f, 0.30f}};
  ToyStyle style;
  style.cls = kToyAeroplane;
  const size_t body =
      static_cast<size_t>(random.uniformInt(0, static_cast<int64_t>(bodies.size()) - 1));
  style.lowContrast = body == 1 || body == 2;
  const Rgb bodyColour = jitterColour(random, bodies[body], 0.03);
  style.paints = {surface(random, bodyColour, 0.04, 6),
                  plain(random, jitterColour(random, random.pick(accents), 0.05)),
                  plain(random, jitterColour(random, {0.15f, 0.18f, 0.25f}, 0.03)),
                  surface(random, bodyColour * 0.88f, 0.04, 6)};
  return style;
}

ToyStyle boatStyle(ToyRandom& random) {
  static const std::vector<Rgb> hulls = {{0.72f, 0.14f, 0.12f},
                                         {0.12f, 0.18f, 0.40f},
                                         {0.92f, 0.92f, 0.90f},
                                         {0.55f, 0.36f, 0.20f},
                                         {0.14f, 0.35f, 0.22f}};
  static const std::vector<Rgb> sails = {
      {0.96f, 0.95f, 0.92f}, {0.92f, 0.88f, 0.76f}, {0.85f, 0.25f, 0.18f}, {0.95f, 0.60f, 0.15f}};
  ToyStyle style;
  style.cls = kToyBoat;
  style.variant = random.chance(0.6) ? 0 : 1;
  SurfaceStyle hull = surface(random, jitterColour(random, random.pick(hulls), 0.05), 0.08, 5);
  if (random.chance(0.4)) {
    hull.stripes = 0.05;  // planking
    hull.stripePeriod = random.uniform(4, 7);
    hull.stripeAngle = kPi / 2;
  }
  style.paints = {hull,
                  plain(random, jitterColour(random,
                                             random.chance(0.6) ? Rgb(0.95f, 0.95f, 0.93f)
                                                                : Rgb(0.9f, 0.75f, 0.15f),
                                             0.03)),
                  surface(random, jitterColour(random, random.pick(sails), 0.03), 0.05, 10),
                  plain(random, jitterColour(random, {0.9f, 0.88f, 0.82f}, 0.04)),
                  plain(random, jitterColour(random, {0.12f, 0.16f, 0.22f}, 0.03)),
                  plain(random, jitterColour(random, {0.35f, 0.28f, 0.22f}, 0.04))};
  return style;
}

ToyStyle carStyle(ToyRandom& random) {
  static const std::vector<Rgb> bodies = {
      {0.78f, 0.10f, 0.10f}, {0.12f, 0.28f, 0.70f}, {0.95f, 0.80f, 0.15f}, {0.92f, 0.92f, 0.92f},
      {0.10f, 0.10f, 0.11f}, {0.66f, 0.68f, 0.70f}, {0.15f, 0.50f, 0.25f}};
  ToyStyle style;
  style.cls = kToyCar;
  SurfaceStyle body = surface(random, jitterColour(random, random.pick(bodies), 0.05), 0.05, 8);
  body.shadeTop = random.uniform(1.1, 1.25);  // glossy roof
  style.paints = {body, surface(random, jitterColour(random, {0.20f, 0.26f, 0.34f}, 0.04), 0.1, 12),
                  plain(random, jitterColour(random, {0.07f, 0.07f, 0.08f}, 0.02)),
                  plain(random, jitterColour(random, {0.62f, 0.63f, 0.65f}, 0.04)),
                  plain(random, jitterColour(random, {0.98f, 0.92f, 0.60f}, 0.02))};
  return style;
}

ToyStyle personStyle(ToyRandom& random) {
  static const std::vector<Rgb> skins = {
      {0.96f, 0.80f, 0.68f}, {0.85f, 0.64f, 0.48f}, {0.62f, 0.42f, 0.30f}, {0.40f, 0.27f, 0.20f}};
  static const std::vector<Rgb> hairs = {
      {0.08f, 0.06f, 0.05f}, {0.35f, 0.22f, 0.12f}, {0.80f, 0.65f, 0.35f}, {0.55f, 0.55f, 0.55f}};
  static const std::vector<Rgb> clothes = {{0.80f, 0.15f, 0.15f}, {0.15f, 0.30f, 0.65f},
                                           {0.92f, 0.92f, 0.90f}, {0.20f, 0.55f, 0.30f},
                                           {0.95f, 0.75f, 0.20f}, {0.50f, 0.25f, 0.55f}};
  static const std::vector<Rgb> trousers = {
      {0.12f, 0.18f, 0.35f}, {0.20f, 0.20f, 0.22f}, {0.55f, 0.45f, 0.32f}};
  ToyStyle style;
  style.cls = kToyPerson;
  style.variant = random.chance(0.3) ? 1 : 0;
  const Rgb skin = jitterColour(random, random.pick(skins), 0.03);
  SurfaceStyle shirt = surface(random, jitterColour(random, random.pick(clothes), 0.05), 0.08, 6);
  if (random.chance(0.3)) {
    shirt.stripes = random.uniform(0.1, 0.2);
    shirt.stripePeriod = random.uniform(4, 8);
  }
  style.paints = {plain(random, skin),
                  surface(random, jitterColour(random, random.pick(hairs), 0.03), 0.1, 3), shirt,
                  surface(random, jitterColour(random, random.pick(trousers), 0.04), 0.08, 5),
                  plain(random, jitterColour(random, {0.12f, 0.10f, 0.09f}, 0.03))};
  return style;
}

}  // namespace

ToyStyle sampleToyStyle(ToyRandom& random, int64_t cls) {
  switch (cls) {
    case kToyAeroplane:
      return aeroplaneStyle(random);
    case kToyBoat:
      return boatStyle(random);
    case kToyCar:
      return carStyle(random);
    case kToyCat:
    case kToyDog:
      return animalStyle(random, cls);
    case kToyPerson:
      return personStyle(random);
    default:
      WSSS_FAIL("toy dataset: unknown class index ", cls, ", expected 1..", kToyClassCount);
  }
}

cv::Rect2d toyShapeBounds(const ToyStyle& style, const ToyPlacement& placement) {
  double left = 1e300, top = 1e300, right = -1e300, bottom = -1e300;
  for (const Piece& item : toyPieces(style)) {
    for (const Polygon& polygon : item.polygons) {
      for (const cv::Point2d& unit : polygon) {
        const cv::Point2d point = toCanvas(placement, unit);
        left = std::min(left, point.x);
        right = std::max(right, point.x);
        top = std::min(top, point.y);
        bottom = std::max(bottom, point.y);
      }
    }
  }
  return {left, top, right - left, bottom - top};
}

ToyShape drawToyShape(const ToyStyle& style, const ToyPlacement& placement, cv::Size canvas) {
  constexpr int kShift = 4;  // sub-pixel vertices: 1/16 pixel
  ToyShape shape;
  shape.paintIndex = cv::Mat(canvas, CV_8UC1, cv::Scalar(255));
  shape.partMask = cv::Mat::zeros(canvas, CV_8UC1);
  for (const Piece& item : toyPieces(style)) {
    for (const Polygon& polygon : item.polygons) {
      std::vector<cv::Point> points;
      for (const cv::Point2d& unit : polygon) {
        const cv::Point2d point = toCanvas(placement, unit);
        points.emplace_back(static_cast<int>(std::lround(point.x * (1 << kShift))),
                            static_cast<int>(std::lround(point.y * (1 << kShift))));
      }
      // One contour per call: overlapping contours in one fillPoly call would cancel out.
      const std::vector<std::vector<cv::Point>> contour = {points};
      cv::fillPoly(shape.paintIndex, contour, cv::Scalar(item.paint), cv::LINE_8, kShift);
      cv::fillPoly(shape.partMask, contour, cv::Scalar(item.part ? 255 : 0), cv::LINE_8, kShift);
    }
  }
  shape.mask = shape.paintIndex != 255;
  shape.bounds = toyShapeBounds(style, placement);
  return shape;
}

cv::Mat paintToyShape(ToyRandom& random, const ToyStyle& style, const ToyShape& shape) {
  const cv::Size canvas = shape.mask.size();
  cv::Mat colour = cv::Mat::zeros(canvas, CV_32FC3);
  const cv::Rect box = cv::Rect(shape.bounds) & cv::Rect(0, 0, canvas.width, canvas.height);
  for (size_t index = 0; index < style.paints.size(); ++index) {
    const cv::Mat where = shape.paintIndex == static_cast<int>(index);
    if (cv::countNonZero(where) == 0) continue;
    paintMasked(colour, surfaceLayer(random, canvas, box, style.paints[index]), where);
  }
  return colour;
}

}  // namespace wsss
