// Class-conditional inference (METHODS §2) against classifier stubs whose maps are known: a
// hidden second peak that only erasing reveals, the class mode's own erase masks, erase masks
// that follow flips and scales, and crops clipped at the image edge.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include "core/class_maps.h"
#include "models/refine/class_conditional_inference.h"

namespace {

using torch::indexing::Slice;

constexpr int64_t kSize = 48;

// A classifier whose map of class c is how far the image's channel c rises above 1: it responds
// to bright parts in proportion to their brightness, and not at all to the mean colour that
// erased pixels take (as a trained network gives no evidence for a class on a flat patch).
torch::Tensor channelClassifier(const torch::Tensor& images) {
  return torch::relu(images.narrow(1, 0, 2) - 1.0);
}

// A bright square (value `value`) of side 8 at (row, col) in channel `channel`.
void paintSquare(torch::Tensor& image, int64_t channel, int64_t row, int64_t col, double value) {
  image.index_put_({channel, Slice(row, row + 8), Slice(col, col + 8)}, value);
}

double meanOver(const torch::Tensor& map, int64_t row, int64_t col) {
  return map.index({Slice(row, row + 8), Slice(col, col + 8)}).mean().item<double>();
}

wsss::CciOptions singleScale(const std::string& mode, bool split) {
  wsss::CciOptions options;
  options.mode = *wsss::parseChoice<wsss::CciMode>(mode);
  options.split = split;
  options.scales = {1.0};
  options.flip = false;
  return options;
}

// Class 0 has a strong part (10) at the top left and a weak one (3) at the bottom right.
torch::Tensor twoPeakImage() {
  torch::Tensor image = torch::zeros({3, kSize, kSize});
  paintSquare(image, 0, 4, 4, 10.0);
  paintSquare(image, 0, 32, 32, 3.0);
  return image;
}

}  // namespace

TEST_CASE("F(x) normalises each present class to a peak of 1 and zeroes absent ones",
          "[models][cci]") {
  const torch::Tensor image = twoPeakImage().unsqueeze(0);
  const torch::Tensor labels = torch::tensor({{1.0f, 0.0f}});
  const torch::Tensor maps =
      wsss::multiScaleClassMaps(channelClassifier, image, labels, {}, {1.0, 0.5}, true);
  REQUIRE(maps.sizes() == torch::IntArrayRef({1, 2, kSize, kSize}));
  CHECK(maps[0][0].max().item<double>() == Approx(1.0).margin(1e-4));
  CHECK(maps[0][1].abs().max().item<double>() == 0.0);
  // The weak part stays weak: its share of the peak is what the plain CAM shows.
  CHECK(meanOver(maps[0][0], 32, 32) < 0.45);
}

TEST_CASE("plain CAM finds one of two peaks - CCI finds both", "[models][cci]") {
  const torch::Tensor image = twoPeakImage();
  const torch::Tensor labels = torch::tensor({1.0f, 0.0f});
  const torch::Tensor plain =
      wsss::classConditionalMaps(channelClassifier, image, labels, singleScale("off", false));
  CHECK(meanOver(plain[0], 4, 4) > 0.7);
  CHECK(meanOver(plain[0], 32, 32) < 0.55);  // below τ_high: the weak part is lost

  for (const std::string mode : {"class", "agnostic"}) {
    for (const bool split : {false, true}) {
      INFO("mode " << mode << ", split " << split);
      const torch::Tensor revealed =
          wsss::classConditionalMaps(channelClassifier, image, labels, singleScale(mode, split));
      REQUIRE(revealed.sizes() == torch::IntArrayRef({2, kSize, kSize}));
      CHECK(meanOver(revealed[0], 4, 4) > 0.7);
      CHECK(meanOver(revealed[0], 32, 32) > 0.7);
      // The empty corners stay empty, and the absent class stays absent.
      CHECK(meanOver(revealed[0], 4, 36) < 0.1);
      CHECK(revealed[1].abs().max().item<double>() == 0.0);
    }
  }
}

TEST_CASE("CCI stops when nothing new is found, and rounds 0 is the plain map", "[models][cci]") {
  const torch::Tensor image = twoPeakImage();
  const torch::Tensor labels = torch::tensor({1.0f, 0.0f});
  wsss::CciOptions none = singleScale("class", false);
  none.rounds = 0;
  const torch::Tensor plain =
      wsss::classConditionalMaps(channelClassifier, image, labels, singleScale("off", false));
  CHECK(torch::allclose(wsss::classConditionalMaps(channelClassifier, image, labels, none), plain));

  int64_t calls = 0;
  const wsss::ClassMapFunction counting = [&](const torch::Tensor& images) {
    ++calls;
    return channelClassifier(images);
  };
  wsss::CciOptions many = singleScale("class", false);
  many.rounds = 50;
  wsss::classConditionalMaps(counting, image, labels, many);
  // The whole image, the strong part erased, then the weak one; after that a round erases
  // nothing new (the empty image normalises to noise-free zeros) and the loop stops early.
  CHECK(calls < 10);
}

TEST_CASE("class mode erases each class's own region - agnostic erases them all", "[models][cci]") {
  // Class 0: strong at the top left, weak at the bottom right. Class 1 is strong exactly where
  // class 0 is weak, so one erase mask for both hides class 0's second part.
  torch::Tensor image = twoPeakImage();
  paintSquare(image, 1, 32, 32, 10.0);
  const torch::Tensor labels = torch::tensor({1.0f, 1.0f});
  const torch::Tensor byClass =
      wsss::classConditionalMaps(channelClassifier, image, labels, singleScale("class", false));
  const torch::Tensor agnostic =
      wsss::classConditionalMaps(channelClassifier, image, labels, singleScale("agnostic", false));
  CHECK(meanOver(byClass[0], 32, 32) > 0.7);
  CHECK(meanOver(agnostic[0], 32, 32) < 0.55);
  CHECK(meanOver(byClass[1], 32, 32) > 0.9);
  CHECK(meanOver(agnostic[1], 32, 32) > 0.9);
}

TEST_CASE("erase masks follow the flip: a mirror-symmetric classifier gives the same maps",
          "[models][cci]") {
  // The stub commutes with mirroring, so F(x) with and without the flip must agree on every
  // round; an erase mask applied unflipped to the mirrored input would leave the strong part
  // visible in the mirror and keep the weak part hidden.
  torch::Tensor image = twoPeakImage();
  const torch::Tensor labels = torch::tensor({1.0f, 0.0f});
  for (const std::string mode : {"class", "agnostic"}) {
    INFO("mode " << mode);
    wsss::CciOptions flipped = singleScale(mode, false);
    flipped.flip = true;
    const torch::Tensor withFlip =
        wsss::classConditionalMaps(channelClassifier, image, labels, flipped);
    const torch::Tensor without =
        wsss::classConditionalMaps(channelClassifier, image, labels, singleScale(mode, false));
    CHECK(torch::allclose(withFlip, without, 1e-4, 1e-5));
    CHECK(meanOver(withFlip[0], 32, 32) > 0.7);
  }
}

TEST_CASE("every scale sees the erase mask at its own size, made once at full size",
          "[models][cci]") {
  const torch::Tensor image = twoPeakImage();
  const torch::Tensor labels = torch::tensor({1.0f, 0.0f});
  const double meanColour = image[0].mean().item<double>();
  std::vector<torch::Tensor> seen;
  const wsss::ClassMapFunction recording = [&](const torch::Tensor& images) {
    seen.push_back(images.clone());
    return channelClassifier(images);
  };
  wsss::CciOptions options = singleScale("class", false);
  options.scales = {1.0, 2.0, 0.5};
  options.rounds = 1;
  const torch::Tensor maps = wsss::classConditionalMaps(recording, image, labels, options);
  // The first pass and the one round, each at three scales.
  REQUIRE(seen.size() == 6);
  for (size_t call = 3; call < 6; ++call) {
    const double scale = options.scales[call - 3];
    const torch::Tensor erased = seen[call][0][0];
    INFO("scale " << scale);
    REQUIRE(erased.size(0) == wsss::scaledSide(kSize, scale));
    // The strong part's centre holds the image's mean colour at this scale's coordinates...
    const auto at = [&](double row, double col) {
      return erased[static_cast<int64_t>(row * scale)][static_cast<int64_t>(col * scale)]
          .item<double>();
    };
    CHECK(at(8, 8) == Approx(meanColour).margin(1e-4));
    // ...and the weak part is untouched.
    CHECK(at(36, 36) == Approx(3.0).margin(1e-4));
  }
  CHECK(meanOver(maps[0], 32, 32) > 0.7);
}

TEST_CASE("crops split around the centre, reach the buffer past it and stay in the image",
          "[models][cci]") {
  using Box = std::array<int64_t, 4>;
  // One class at (20, 30) in a 40 x 50 image: four quadrants with 10 pixels of overlap.
  const auto one = wsss::cciCropBoxes(40, 50, {{20.0, 30.0}}, {10, 20});
  REQUIRE(one.size() == 4);
  CHECK(one[0] == Box{0, 0, 31, 41});
  CHECK(one[1] == Box{0, 20, 31, 50});
  CHECK(one[2] == Box{10, 0, 40, 41});
  CHECK(one[3] == Box{10, 20, 40, 50});
  // Two classes: the mean centre, the larger buffer.
  const auto two = wsss::cciCropBoxes(100, 120, {{30.0, 40.0}, {50.0, 60.0}}, {10, 20});
  REQUIRE(two.size() == 4);
  CHECK(two[0] == Box{0, 0, 61, 71});
  CHECK(two[3] == Box{20, 30, 100, 120});
  // A buffer that reaches past the edges makes some quadrants the same: each is kept once.
  CHECK((wsss::cciCropBoxes(40, 50, {{20.0, 25.0}}, {30, 30}) == std::vector<Box>{{0, 0, 40, 50}}));
  // Three classes, or none: the whole image.
  CHECK((wsss::cciCropBoxes(40, 50, {{1, 1}, {2, 2}, {3, 3}}, {10, 20}) ==
         std::vector<Box>{{0, 0, 40, 50}}));
  CHECK((wsss::cciCropBoxes(40, 50, {}, {10, 20}) == std::vector<Box>{{0, 0, 40, 50}}));

  // A centre on the edge: crops are clipped, never empty or outside, and cover the image.
  for (const std::array<double, 2> centre :
       {std::array<double, 2>{0.0, 0.0}, std::array<double, 2>{39.4, 49.9},
        std::array<double, 2>{2.0, 47.0}}) {
    const auto boxes = wsss::cciCropBoxes(40, 50, {centre}, {10, 20});
    torch::Tensor covered = torch::zeros({40, 50}, torch::kBool);
    for (const Box& box : boxes) {
      CHECK(box[0] >= 0);
      CHECK(box[1] >= 0);
      CHECK(box[2] <= 40);
      CHECK(box[3] <= 50);
      CHECK(box[2] > box[0]);
      CHECK(box[3] > box[1]);
      covered.index_put_({Slice(box[0], box[2]), Slice(box[1], box[3])}, true);
    }
    CHECK(covered.all().item<bool>());
  }
}

TEST_CASE("an object on the image edge is found in the clipped crops", "[models][cci]") {
  // Strong part in the top-left corner, weak part along the right edge: the centre of mass
  // lies near the top edge, so two crops are clipped there.
  torch::Tensor image = torch::zeros({3, kSize, kSize});
  paintSquare(image, 0, 0, 0, 10.0);
  paintSquare(image, 0, 0, 40, 3.0);
  const torch::Tensor labels = torch::tensor({1.0f, 0.0f});
  const torch::Tensor maps =
      wsss::classConditionalMaps(channelClassifier, image, labels, singleScale("class", true));
  REQUIRE(maps.sizes() == torch::IntArrayRef({2, kSize, kSize}));
  CHECK(meanOver(maps[0], 0, 0) > 0.7);
  CHECK(meanOver(maps[0], 0, 40) > 0.7);
  CHECK(meanOver(maps[0], 36, 4) < 0.1);
}
