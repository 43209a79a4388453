// The point pseudo-masks (METHODS §5) on hand-built features and clicks: the spatial filter, the
// cosine, the margin and background rules, classes without clicks, batching.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "core/class_maps.h"
#include "train/pseudo/point_masks.h"
#include "train/pseudo/pseudo_labels.h"

namespace {

// Clicks as the loader hands them: rows [batch index, y, x, cls, rank].
torch::Tensor clicks(std::vector<std::array<float, 4>> rows) {
  std::vector<float> flat;
  for (const auto& row : rows) flat.insert(flat.end(), {row[0], row[1], row[2], row[3], 1.0f});
  return torch::tensor(flat).view({static_cast<int64_t>(rows.size()), 5});
}

// No refinement, so the maps are the rule alone.
wsss::PointOptions unrefined(double sigma) {
  wsss::PointOptions options;
  options.refine = false;
  options.sigma = sigma;
  return options;
}

torch::Tensor labelsOf(const wsss::PointScores& scores, double high, double low, double margin) {
  return wsss::marginLabels(scores.scores, scores.background, high, low, margin);
}

}  // namespace

TEST_CASE("with a constant embedding the spatial filter alone decides: two clicks split a "
          "uniform region at the bisector",
          "[point][pseudo]") {
  // A 16 x 32 image, features at stride 4 (4 x 8), one click of class 1 on the left and one of
  // class 2 on the right, both on row 8.
  const torch::Tensor features = torch::ones({1, 6, 4, 8});
  const torch::Tensor image = torch::zeros({1, 3, 16, 32});
  const torch::Tensor points = clicks({{0, 8, 4, 1}, {0, 8, 27, 2}});
  const wsss::PointScores scores =
      wsss::pointScores(features, points, image, {}, 3, unrefined(0.25), {});
  REQUIRE(scores.scores.sizes() == torch::IntArrayRef({1, 3, 16, 32}));
  // The bisector of x = 4 and x = 27 is x = 15.5.
  const torch::Tensor labels = labelsOf(scores, 0.0, 0.0, 0.0)[0];
  CHECK(labels.narrow(1, 0, 16).eq(1).all().item<bool>());
  CHECK(labels.narrow(1, 16, 16).eq(2).all().item<bool>());
  // Class 3 has no click: 0 everywhere, never assigned.
  CHECK(scores.scores[0][2].eq(0).all().item<bool>());
  // The filter: exp(-d²/2σ²) with σ = 0.25 × the diagonal, at the feature cell of the click.
  const double sigma = 0.25 * std::sqrt(16.0 * 16.0 + 32.0 * 32.0);
  const double cellY = 9.5, cellX = 3.5;  // the centre of the click's cell (row 2, column 0)
  const double expected = std::exp(-((cellY - 8) * (cellY - 8) + (cellX - 4) * (cellX - 4)) /
                                   (2 * sigma * sigma));
  // At the cell centre's pixel neighbourhood the upsampled map is that value (bilinear between
  // cells is not, so compare the peak only loosely).
  CHECK(scores.scores[0][0].max().item<double>() == Approx(expected).epsilon(0.02));

  SECTION("without the spatial filter every cosine is 1: a tie, which the margin leaves undecided") {
    const wsss::PointScores flat =
        wsss::pointScores(features, points, image, {}, 3, unrefined(0.0), {});
    CHECK((flat.scores.narrow(1, 0, 2) - 1).abs().max().item<double>() < 1e-5);
    CHECK(labelsOf(flat, 0.6, 0.3, 0.1).eq(255).all().item<bool>());
  }
}

TEST_CASE("the cosine of the features decides without the spatial filter, and a class without a "
          "click never appears",
          "[point][pseudo]") {
  // Left half of the features along channel 0, right half along channel 1 (orthogonal).
  torch::Tensor features = torch::zeros({1, 2, 4, 8});
  features[0][0].narrow(1, 0, 4).fill_(1.0);
  features[0][1].narrow(1, 4, 4).fill_(1.0);
  const torch::Tensor image = torch::zeros({1, 3, 16, 32});
  // One click of class 2 on the left half; none on the right.
  const wsss::PointScores scores = wsss::pointScores(features, clicks({{0, 5, 5, 2}}), image, {},
                                                     3, unrefined(0.0), {});
  const torch::Tensor labels = labelsOf(scores, 0.6, 0.3, 0.1)[0];
  CHECK(labels.narrow(1, 0, 14).eq(2).all().item<bool>());
  CHECK(labels.narrow(1, 18, 14).eq(0).all().item<bool>());  // cosine 0: background
  CHECK_FALSE(labels.eq(1).any().item<bool>());
  CHECK_FALSE(labels.eq(3).any().item<bool>());
}

TEST_CASE("background clicks: background near them and where every class is below the low "
          "threshold, undecided between",
          "[point][pseudo]") {
  const torch::Tensor features = torch::ones({1, 4, 4, 16});
  const torch::Tensor image = torch::zeros({1, 3, 16, 64});
  // Class 1 at the left end, a background click at the right end; a narrow filter.
  const wsss::PointScores scores = wsss::pointScores(
      features, clicks({{0, 8, 2, 1}, {0, 8, 61, 0}}), image, {}, 1, unrefined(0.12), {});
  CHECK(scores.background.max().item<double>() > 0.9);
  const torch::Tensor labels = labelsOf(scores, 0.6, 0.3, 0.1)[0][8];
  CHECK(labels[2].item<int64_t>() == 1);
  CHECK(labels[61].item<int64_t>() == 0);
  // Where S_1 falls between the thresholds, away from its click: undecided.
  CHECK(labels.eq(255).any().item<bool>());

  SECTION("without the background click the right end is background by the low threshold") {
    const wsss::PointScores alone =
        wsss::pointScores(features, clicks({{0, 8, 2, 1}}), image, {}, 1, unrefined(0.12), {});
    CHECK(alone.background.eq(0).all().item<bool>());
    const torch::Tensor row = labelsOf(alone, 0.6, 0.3, 0.1)[0][8];
    CHECK(row[63].item<int64_t>() == 0);
    CHECK(alone.scores[0][0][8][63].item<double>() < 0.3);
  }
}

TEST_CASE("the margin rule: the top class must beat the runner-up", "[point][pseudo]") {
  // Three pixels: a clear winner, a near tie above the high threshold, all low.
  const torch::Tensor scores =
      torch::tensor({0.9f, 0.7f, 0.1f, 0.2f, 0.65f, 0.1f}).view({1, 2, 1, 3});
  CHECK(wsss::marginLabels(scores, {}, 0.6, 0.3, 0.1).flatten().equal(
      torch::tensor({1, 255, 0}, torch::kInt64)));
  // Without a margin it is the two-threshold rule.
  CHECK(wsss::marginLabels(scores, {}, 0.6, 0.3, 0.0).equal(wsss::thresholdLabels(scores, 0.6, 0.3)));
  // Background evidence that wins by the margin makes background even above the high threshold.
  const torch::Tensor background = torch::tensor({0.2f, 0.95f, 0.0f}).view({1, 1, 1, 3});
  CHECK(wsss::marginLabels(scores, background, 0.6, 0.3, 0.1).flatten().equal(
      torch::tensor({1, 0, 0}, torch::kInt64)));
}

TEST_CASE("clicks of several images are batched without crosstalk, and the engine labels "
          "padding 255",
          "[point][pseudo]") {
  torch::manual_seed(3);
  const torch::Tensor features = torch::rand({2, 5, 4, 6});
  const torch::Tensor image = torch::rand({2, 3, 16, 24});
  // Image 1's clicks listed first, image 0 has three clicks and image 1 one.
  const torch::Tensor points =
      clicks({{1, 3, 10, 2}, {0, 2, 2, 1}, {0, 12, 20, 3}, {0, 8, 10, 0}});
  wsss::PointOptions options;  // refined, as configured by default
  const wsss::PointScores both =
      wsss::pointScores(features, points, image, {}, 3, options, {});
  const wsss::PointScores first = wsss::pointScores(
      features.narrow(0, 0, 1), clicks({{0, 2, 2, 1}, {0, 12, 20, 3}, {0, 8, 10, 0}}),
      image.narrow(0, 0, 1), {}, 3, options, {});
  const wsss::PointScores second = wsss::pointScores(
      features.narrow(0, 1, 1), clicks({{0, 3, 10, 2}}), image.narrow(0, 1, 1), {}, 3, options, {});
  CHECK(torch::allclose(both.scores.narrow(0, 0, 1), first.scores, 1e-5, 1e-6));
  CHECK(torch::allclose(both.scores.narrow(0, 1, 1), second.scores, 1e-5, 1e-6));
  CHECK(torch::allclose(both.background.narrow(0, 0, 1), first.background, 1e-5, 1e-6));
  CHECK(both.background[1].eq(0).all().item<bool>());

  // Through the engine: the points source, its rule, and 255 outside the crop box.
  wsss::PseudoLabelInputs inputs;
  inputs.labels = torch::ones({2, 3});
  inputs.image = image;
  inputs.decoder = features;
  inputs.points = points;
  inputs.height = 16;
  inputs.width = 24;
  inputs.cropBox = torch::tensor({0, 0, 16, 24, 0, 0, 16, 16}, torch::kInt64).view({2, 4});
  wsss::PseudoLabelSettings settings;
  settings.pseudo.source = wsss::PseudoSource::Points;
  const wsss::PseudoTargets targets = wsss::makePseudoTargets(inputs, settings);
  CHECK(targets.segLabel[1].narrow(1, 16, 8).eq(255).all().item<bool>());
  CHECK(targets.background.defined());
  CHECK_FALSE(targets.segLabel[1].eq(1).any().item<bool>());  // image 1 has no click of class 1
}

TEST_CASE("refining the click's cosine maps is refining E, then comparing it with the click",
          "[point][pseudo]") {
  torch::manual_seed(4);
  const torch::Tensor features = torch::rand({1, 8, 6, 10});
  const torch::Tensor image = torch::rand({1, 3, 24, 40});
  const torch::Tensor points = clicks({{0, 5, 6, 1}, {0, 18, 30, 2}});
  wsss::PointOptions options;
  options.sigma = 0;
  wsss::ImageRefinementOptions refinement;
  refinement.dilations = {1, 2};
  const wsss::PointScores refined =
      wsss::pointScores(features, points, image, {}, 2, options, refinement);
  // By hand: E normalised, refined channel by channel at E's size, dotted with E at each click.
  const torch::Tensor normal = features / features.norm(2, 1, true);
  wsss::ImageRefinementOptions atFeatures = refinement;
  atFeatures.scale = 6.0 / 24.0;
  const torch::Tensor refinedE = wsss::refineWithImage(image, normal, {}, atFeatures);
  const torch::Tensor first = normal[0].select(1, 1).select(1, 1);   // the cell of (5, 6)
  const torch::Tensor second = normal[0].select(1, 4).select(1, 7);  // the cell of (18, 30)
  const torch::Tensor byHand = torch::stack({(refinedE[0] * first.view({-1, 1, 1})).sum(0),
                                             (refinedE[0] * second.view({-1, 1, 1})).sum(0)})
                                   .unsqueeze(0);
  CHECK(torch::allclose(refined.scores, wsss::resizeMaps(byHand, 24, 40), 1e-4, 1e-5));
}
