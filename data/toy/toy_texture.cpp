#include "data/toy/toy_texture.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace wsss {

namespace {

constexpr double kTwoPi = 6.283185307179586;

float smoothStep(float edge0, float edge1, float value) {
  const float t = std::clamp((value - edge0) / (edge1 - edge0), 0.0f, 1.0f);
  return t * t * (3.0f - 2.0f * t);
}

Rgb mix(const Rgb& a, const Rgb& b, float t) { return a * (1.0f - t) + b * t; }

// Muted colours for the neutral backgrounds: walls, floors, earth, stone.
const std::vector<Rgb>& neutralColours() {
  static const std::vector<Rgb> colours = {
      {0.62f, 0.52f, 0.40f}, {0.45f, 0.35f, 0.25f}, {0.50f, 0.50f, 0.46f},
      {0.40f, 0.44f, 0.28f}, {0.70f, 0.65f, 0.55f}, {0.55f, 0.32f, 0.26f},
      {0.38f, 0.38f, 0.40f}, {0.60f, 0.53f, 0.58f}, {0.75f, 0.71f, 0.62f}};
  return colours;
}

void paintWall(ToyRandom& random, cv::Mat& canvas, cv::Rect area) {
  const Rgb colour = jitterColour(random, random.pick(neutralColours()), 0.05);
  const Rgb light = colour * static_cast<float>(random.uniform(1.0, 1.15));
  const Rgb dark = colour * static_cast<float>(random.uniform(0.75, 0.9));
  const bool horizontal = random.chance(0.5);
  const cv::Mat blotches = fractalNoise(random, area.size(), random.uniform(18, 40), 3);
  const bool wallpaper = random.chance(0.35);
  const double period = random.uniform(7, 16);
  const double stripeAmount = wallpaper ? random.uniform(0.04, 0.08) : 0.0;
  for (int y = 0; y < area.height; ++y) {
    auto* row = canvas.ptr<Rgb>(area.y + y) + area.x;
    const float* noise = blotches.ptr<float>(y);
    for (int x = 0; x < area.width; ++x) {
      const float t = horizontal ? static_cast<float>(x) / std::max(1, area.width - 1)
                                 : static_cast<float>(y) / std::max(1, area.height - 1);
      const double stripe = stripeAmount * std::sin(kTwoPi * x / period);
      row[x] = mix(light, dark, t) * static_cast<float>(1.0 + 0.16 * (noise[x] - 0.5) + stripe);
    }
  }
}

void paintGrass(ToyRandom& random, cv::Mat& canvas, cv::Rect area) {
  static const std::vector<Rgb> greens = {
      {0.30f, 0.45f, 0.20f}, {0.40f, 0.50f, 0.24f}, {0.46f, 0.43f, 0.25f}, {0.25f, 0.36f, 0.18f}};
  const Rgb colour = jitterColour(random, random.pick(greens), 0.05);
  const cv::Mat blades = smoothNoise(random, area.size(), 1.5, random.uniform(4, 8));
  const cv::Mat patches = fractalNoise(random, area.size(), random.uniform(15, 30), 2);
  const Rgb dry = jitterColour(random, {0.55f, 0.50f, 0.30f}, 0.05);
  for (int y = 0; y < area.height; ++y) {
    auto* row = canvas.ptr<Rgb>(area.y + y) + area.x;
    for (int x = 0; x < area.width; ++x) {
      const float blade = blades.at<float>(y, x);
      const float patch = smoothStep(0.45f, 0.8f, patches.at<float>(y, x));
      row[x] = mix(colour, dry, 0.6f * patch) * (0.7f + 0.55f * blade);
    }
  }
}

void paintBricks(ToyRandom& random, cv::Mat& canvas, cv::Rect area) {
  const Rgb colour = jitterColour(random, random.pick(neutralColours()), 0.05);
  const Rgb mortar = jitterColour(random, {0.72f, 0.70f, 0.66f}, 0.05);
  const int brickWidth = static_cast<int>(random.uniformInt(14, 28));
  const int brickHeight = static_cast<int>(random.uniformInt(7, 12));
  const int columns = area.width / brickWidth + 2;
  const int rows = area.height / brickHeight + 1;
  std::vector<float> shade(static_cast<size_t>(rows * columns));
  for (float& value : shade) value = static_cast<float>(random.uniform(0.85, 1.12));
  const cv::Mat grain = smoothNoise(random, area.size(), 2.0);
  for (int y = 0; y < area.height; ++y) {
    auto* row = canvas.ptr<Rgb>(area.y + y) + area.x;
    const int brickRow = y / brickHeight;
    const int offset = (brickRow % 2) * brickWidth / 2;
    for (int x = 0; x < area.width; ++x) {
      const int brickColumn = (x + offset) / brickWidth;
      const bool joint = y % brickHeight == 0 || (x + offset) % brickWidth == 0;
      const float noise = 0.9f + 0.2f * grain.at<float>(y, x);
      row[x] = joint
                   ? mortar * noise
                   : colour * shade[static_cast<size_t>(brickRow * columns + brickColumn)] * noise;
    }
  }
}

void paintPlanks(ToyRandom& random, cv::Mat& canvas, cv::Rect area) {
  static const std::vector<Rgb> woods = {
      {0.60f, 0.42f, 0.26f}, {0.72f, 0.56f, 0.38f}, {0.45f, 0.30f, 0.20f}, {0.66f, 0.60f, 0.50f}};
  const Rgb colour = jitterColour(random, random.pick(woods), 0.04);
  const int plankHeight = static_cast<int>(random.uniformInt(10, 20));
  const double period = random.uniform(6, 14);
  const cv::Mat warp = smoothNoise(random, area.size(), 30.0, 6.0);
  std::vector<float> shade(static_cast<size_t>(area.height / plankHeight + 1));
  for (float& value : shade) value = static_cast<float>(random.uniform(0.88, 1.1));
  for (int y = 0; y < area.height; ++y) {
    auto* row = canvas.ptr<Rgb>(area.y + y) + area.x;
    const float plank = shade[static_cast<size_t>(y / plankHeight)];
    const bool gap = y % plankHeight == 0;
    for (int x = 0; x < area.width; ++x) {
      const double grain = std::sin(kTwoPi * (y / period + 3.0 * warp.at<float>(y, x)));
      row[x] = colour * (gap ? 0.55f : plank * static_cast<float>(1.0 + 0.07 * grain));
    }
  }
}

void paintBlotches(ToyRandom& random, cv::Mat& canvas, cv::Rect area) {
  const Rgb first = jitterColour(random, random.pick(neutralColours()), 0.06);
  const Rgb second = jitterColour(random, random.pick(neutralColours()), 0.06);
  const cv::Mat field = fractalNoise(random, area.size(), random.uniform(20, 45), 4);
  for (int y = 0; y < area.height; ++y) {
    auto* row = canvas.ptr<Rgb>(area.y + y) + area.x;
    for (int x = 0; x < area.width; ++x) {
      const float value = field.at<float>(y, x);
      row[x] = mix(first, second, smoothStep(0.35f, 0.65f, value)) * (0.9f + 0.2f * value);
    }
  }
}

}  // namespace

cv::Mat smoothNoise(ToyRandom& random, cv::Size size, double cellX, double cellY) {
  const int stepX = std::max(1, static_cast<int>(std::lround(cellX)));
  const int stepY = std::max(1, static_cast<int>(std::lround(cellY)));
  // One spare cell on each side keeps the cubic kernel's border effects out of the result.
  const cv::Size grid(size.width / stepX + 3, size.height / stepY + 3);
  cv::Mat values(grid, CV_32F);
  for (int y = 0; y < grid.height; ++y) {
    for (int x = 0; x < grid.width; ++x)
      values.at<float>(y, x) = static_cast<float>(random.uniform());
  }
  cv::Mat fine;
  cv::resize(values, fine, cv::Size(grid.width * stepX, grid.height * stepY), 0, 0,
             cv::INTER_CUBIC);
  return fine(cv::Rect(stepX, stepY, size.width, size.height)).clone();
}

cv::Mat fractalNoise(ToyRandom& random, cv::Size size, double cell, int octaves) {
  cv::Mat sum = cv::Mat::zeros(size, CV_32F);
  double weight = 1.0;
  double total = 0.0;
  for (int octave = 0; octave < octaves; ++octave) {
    sum += smoothNoise(random, size, cell) * weight;
    total += weight;
    weight *= 0.5;
    cell = std::max(1.0, cell * 0.5);
  }
  return sum / total;
}

Rgb jitterColour(ToyRandom& random, const Rgb& colour, double amount) {
  const double brightness = random.uniform(1.0 - 2.0 * amount, 1.0 + 2.0 * amount);
  Rgb result;
  for (int channel = 0; channel < 3; ++channel) {
    const double value = (colour[channel] + random.uniform(-amount, amount)) * brightness;
    result[channel] = static_cast<float>(std::clamp(value, 0.0, 1.0));
  }
  return result;
}

void paintSky(ToyRandom& random, cv::Mat& canvas, cv::Rect area, bool overcast) {
  const Rgb top = overcast ? jitterColour(random, {0.58f, 0.60f, 0.63f}, 0.04)
                           : jitterColour(random, {0.22f, 0.42f, 0.78f}, 0.05);
  const Rgb horizon = overcast ? jitterColour(random, {0.80f, 0.80f, 0.82f}, 0.03)
                               : jitterColour(random, {0.70f, 0.82f, 0.95f}, 0.03);
  const cv::Mat clouds = fractalNoise(random, area.size(), random.uniform(30, 60), 4);
  const float cover = static_cast<float>(overcast ? 0.0 : random.uniform(0.45, 0.7));
  const float cloudOpacity = static_cast<float>(random.uniform(0.6, 0.95));
  const Rgb white(0.97f, 0.97f, 0.98f);
  for (int y = 0; y < area.height; ++y) {
    auto* row = canvas.ptr<Rgb>(area.y + y) + area.x;
    const float t = static_cast<float>(y) / std::max(1, area.height - 1);
    const Rgb base = mix(top, horizon, std::sqrt(t));
    for (int x = 0; x < area.width; ++x) {
      const float noise = clouds.at<float>(y, x);
      if (overcast) {
        row[x] = base * (0.92f + 0.16f * noise);
      } else {
        const float cloud = cloudOpacity * smoothStep(cover, cover + 0.2f, noise);
        row[x] = mix(base, white * (1.05f - 0.25f * noise), cloud);
      }
    }
  }
}

void paintWater(ToyRandom& random, cv::Mat& canvas, cv::Rect area) {
  const Rgb near = jitterColour(random, {0.28f, 0.50f, 0.62f}, 0.05);
  const Rgb deep = jitterColour(random, {0.06f, 0.22f, 0.36f}, 0.04);
  const cv::Mat ripples = smoothNoise(random, area.size(), random.uniform(14, 26), 5.0);
  const cv::Mat tint = fractalNoise(random, area.size(), 40.0, 2);
  // Wave crests get denser toward the horizon: the phase grows with the square root of depth.
  const double crests = area.height / random.uniform(4.0, 7.0);
  for (int y = 0; y < area.height; ++y) {
    auto* row = canvas.ptr<Rgb>(area.y + y) + area.x;
    const double t = static_cast<double>(y) / std::max(1, area.height - 1);
    const Rgb base = mix(near, deep, static_cast<float>(std::pow(t, 0.7)));
    for (int x = 0; x < area.width; ++x) {
      const double wave =
          std::sin(kTwoPi * (crests * std::sqrt(t) + 1.5 * ripples.at<float>(y, x)));
      const double glint = std::pow(std::max(0.0, wave), 12.0) * 0.3 * (1.0 - 0.5 * t);
      const float shade =
          static_cast<float>(0.9 + 0.1 * wave + 0.12 * (tint.at<float>(y, x) - 0.5));
      row[x] = base * shade + Rgb(1.0f, 1.0f, 1.0f) * static_cast<float>(glint);
    }
  }
}

void paintNeutral(ToyRandom& random, cv::Mat& canvas, cv::Rect area) {
  switch (random.uniformInt(0, 4)) {
    case 0:
      paintWall(random, canvas, area);
      break;
    case 1:
      paintGrass(random, canvas, area);
      break;
    case 2:
      paintBricks(random, canvas, area);
      break;
    case 3:
      paintPlanks(random, canvas, area);
      break;
    default:
      paintBlotches(random, canvas, area);
      break;
  }
}

cv::Mat surfaceLayer(ToyRandom& random, cv::Size canvas, cv::Rect box, const SurfaceStyle& style) {
  cv::Mat layer(canvas, CV_32FC3);
  const cv::Mat noise = fractalNoise(random, canvas, style.noiseCell, 3);
  const cv::Mat warp = style.stripes > 0 ? smoothNoise(random, canvas, 12.0) : cv::Mat();
  const double cosine = std::cos(style.stripeAngle);
  const double sine = std::sin(style.stripeAngle);
  for (int y = 0; y < canvas.height; ++y) {
    const double t = std::clamp(static_cast<double>(y - box.y) / std::max(1, box.height), 0.0, 1.0);
    const double shade = style.shadeTop + (style.shadeBottom - style.shadeTop) * t;
    auto* row = layer.ptr<Rgb>(y);
    for (int x = 0; x < canvas.width; ++x) {
      double factor = 1.0 + 2.0 * style.noise * (noise.at<float>(y, x) - 0.5);
      if (style.stripes > 0) {
        const double along =
            (x * cosine + y * sine) / style.stripePeriod + 0.8 * warp.at<float>(y, x);
        factor += style.stripes * std::sin(kTwoPi * along);
      }
      row[x] = style.colour * static_cast<float>(std::max(0.0, factor * shade));
    }
  }
  return layer;
}

void paintMasked(cv::Mat& canvas, const cv::Mat& layer, const cv::Mat& mask) {
  layer.copyTo(canvas, mask);
}

}  // namespace wsss
