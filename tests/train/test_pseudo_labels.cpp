// CAM pseudo-labels: normalisation, the two-threshold rule, the crop box, the schedule.
#include <catch2/catch.hpp>

#include "core/class_maps.h"
#include "train/loop/lr_schedule.h"
#include "train/loop/training_options.h"
#include "train/pseudo/pseudo_labels.h"

TEST_CASE("class maps are relu'd, masked by the labels and divided by their peak", "[pseudo]") {
  const torch::Tensor maps =
      torch::tensor({-1.0f, 2.0f, 4.0f, 1.0f, 3.0f, 6.0f, -2.0f, 0.0f}).view({1, 2, 2, 2});
  const torch::Tensor labels = torch::tensor({{1.0f, 0.0f}});
  const torch::Tensor normalised = wsss::normaliseClassMaps(maps, labels);
  const torch::Tensor expected =
      torch::tensor({0.0f, 0.5f, 1.0f, 0.25f, 0.0f, 0.0f, 0.0f, 0.0f}).view({1, 2, 2, 2});
  CHECK(torch::allclose(normalised, expected, 1e-4, 1e-5));
  CHECK(normalised.max().item<float>() < 1.0f);
}

TEST_CASE("the two-threshold rule: class above 0.55, background below 0.35, else 255", "[pseudo]") {
  // Two classes over four pixels.
  const torch::Tensor scores =
      torch::tensor({0.9f, 0.2f, 0.4f, 0.1f, 0.1f, 0.6f, 0.3f, 0.34f}).view({1, 2, 2, 2});
  const torch::Tensor labels = wsss::thresholdLabels(scores, 0.55, 0.35);
  const torch::Tensor expected = torch::tensor({1, 2, 255, 0}, torch::kLong).view({1, 2, 2});
  CHECK(torch::equal(labels, expected));
}

TEST_CASE("pseudo-labels ignore the padding outside the crop box", "[pseudo]") {
  const torch::Tensor cam = torch::ones({1, 1, 2, 2}) * 5;
  const torch::Tensor labels = torch::ones({1, 1});
  const torch::Tensor box = torch::tensor({{0, 0, 4, 2}}, torch::kLong);  // left half is real
  const wsss::PseudoTargets targets =
      wsss::makePseudoTargets({cam, {}, labels, box, 4, 4, {}}, wsss::PseudoLabelOptions{});
  CHECK(targets.scores.sizes() == torch::IntArrayRef({1, 1, 4, 4}));
  const torch::Tensor expected =
      torch::tensor({1, 1, 255, 255}, torch::kLong).repeat({4}).view({1, 4, 4});
  CHECK(torch::equal(targets.segLabel, expected));
}

TEST_CASE("pseudo.source support thresholds SupportNet's maps, and needs them", "[pseudo]") {
  // MainNet's CAM says class 1 everywhere; SupportNet's maps say class 2 on the left only.
  const torch::Tensor cam = torch::stack({torch::ones({2, 2}), torch::zeros({2, 2})}).unsqueeze(0);
  const torch::Tensor support =
      torch::tensor({0.f, 0.f, 0.f, 0.f, 0.9f, 0.1f, 0.9f, 0.1f}).view({1, 2, 2, 2});
  const torch::Tensor labels = torch::ones({1, 2});
  wsss::PseudoLabelOptions options;
  options.source = wsss::PseudoSource::Support;
  const wsss::PseudoTargets targets =
      wsss::makePseudoTargets({cam, support, labels, {}, 2, 2, {}}, options);
  CHECK(torch::equal(targets.segLabel, torch::tensor({2, 0, 2, 0}, torch::kLong).view({1, 2, 2})));
  CHECK_THROWS_WITH(wsss::makePseudoTargets({cam, {}, labels, {}, 2, 2, {}}, options),
                    Catch::Contains("support.mode"));
}

TEST_CASE("pseudo.refine pulls a CAM that leaks across a colour edge back to its object",
          "[pseudo][refine]") {
  torch::manual_seed(0);
  // The object is the red left half of the image; its CAM spills 4 columns into the blue half.
  const int64_t size = 48;
  torch::Tensor image = torch::zeros({1, 3, size, size});
  image[0][0].narrow(1, 0, size / 2).fill_(1.0);
  image[0][2].narrow(1, size / 2, size / 2).fill_(1.0);
  image += 0.01 * torch::randn_like(image);
  torch::Tensor cam = torch::zeros({1, 1, size, size});
  cam.narrow(3, 0, size / 2 + 4).fill_(5.0);
  const torch::Tensor labels = torch::ones({1, 1});
  wsss::PseudoLabelInputs inputs{cam, {}, labels, {}, size, size, image};
  wsss::PseudoLabelOptions options;
  const auto leakLabels = [&](const wsss::PseudoTargets& targets) {
    return targets.segLabel.narrow(2, size / 2, 4);
  };
  CHECK((leakLabels(wsss::makePseudoTargets(inputs, options)) == 1).all().item<bool>());
  options.refine = true;
  const wsss::PseudoTargets refined = wsss::makePseudoTargets(inputs, options);
  // At half size the edge column blurs; the rest of the leak becomes background.
  CHECK((leakLabels(refined).narrow(1, 1, 3) == 0).all().item<bool>());
  CHECK((refined.segLabel.narrow(2, 0, size / 2 - 2) == 1).all().item<bool>());
  // The same for SupportNet's maps: the refinement works on whichever source is chosen.
  wsss::PseudoLabelInputs fromSupport = inputs;
  fromSupport.cam = torch::zeros_like(cam);
  fromSupport.supportScores = cam / 5;
  options.source = wsss::PseudoSource::Support;
  const wsss::PseudoTargets supportTargets = wsss::makePseudoTargets(fromSupport, options);
  CHECK(torch::equal(supportTargets.segLabel, refined.segLabel));
  options.source = wsss::PseudoSource::Cam;
  inputs.image = torch::Tensor();
  CHECK_THROWS_WITH(wsss::makePseudoTargets(inputs, options), Catch::Contains("pseudo.refine"));
}

TEST_CASE("refined maps are divided by their peaks again unless renormalise is off",
          "[pseudo][refine]") {
  // A peaked CAM on a flat image: the refinement spreads the peak, whose maximum drops.
  const int64_t size = 32;
  torch::Tensor cam = torch::zeros({1, 1, size, size});
  cam.narrow(2, 12, 8).narrow(3, 12, 8).fill_(1.0);
  cam[0][0][16][16] = 4.0;
  wsss::PseudoLabelInputs inputs{
      cam, {}, torch::ones({1, 1}), {}, size, size, torch::zeros({1, 3, size, size})};
  wsss::PseudoLabelOptions options;
  options.refine = true;
  const torch::Tensor peaks =
      std::get<0>(wsss::makePseudoTargets(inputs, options).scores.flatten(2).max(2));
  CHECK(peaks.item<float>() == Approx(1.0).margin(0.01));  // peak / (peak + 1e-5)
  options.renormalise = false;
  const torch::Tensor raw = wsss::makePseudoTargets(inputs, options).scores;
  CHECK(raw.max().item<float>() < 0.9f);
}

TEST_CASE("the learning rate warms up linearly, then decays by poly to zero", "[schedule]") {
  wsss::TrainOptions options;
  options.iterations = 100;
  options.polyPower = 1.0;
  CHECK(wsss::learningRateFactor(0, options) == Approx(1.0));
  CHECK(wsss::learningRateFactor(50, options) == Approx(0.5));
  CHECK(wsss::learningRateFactor(100, options) == Approx(0.0));
  options.warmupIters = 10;
  options.warmupFactor = 0.1;
  CHECK(wsss::learningRateFactor(0, options) == Approx(0.1));
  CHECK(wsss::learningRateFactor(5, options) == Approx(0.95 * 0.55));
  CHECK(wsss::learningRateFactor(10, options) == Approx(0.9));
}

TEST_CASE("the matting refiner decides every pixel by alpha: the object's class inside, "
          "background outside",
          "[pseudo][matting]") {
  // A 32 x 32 image: a red square (rows and columns 8..23) on blue; a CAM that is sure in the
  // square's core, undecided on its border band, and low outside.
  torch::Tensor image = torch::zeros({1, 3, 32, 32});
  image[0][2].fill_(1.0);
  image[0][0].narrow(0, 8, 16).narrow(1, 8, 16).fill_(1.0);
  image[0][2].narrow(0, 8, 16).narrow(1, 8, 16).fill_(0.0);
  torch::Tensor cam = torch::full({1, 1, 32, 32}, 0.1);
  cam[0][0].narrow(0, 4, 24).narrow(1, 4, 24).fill_(0.5);   // the band, both sides of the edge
  cam[0][0].narrow(0, 12, 8).narrow(1, 12, 8).fill_(1.0);   // the core
  wsss::PseudoLabelInputs inputs;
  inputs.cam = cam * 5;
  inputs.labels = torch::ones({1, 1});
  inputs.image = image;
  inputs.height = 32;
  inputs.width = 32;
  wsss::PseudoLabelSettings settings;
  const torch::Tensor plain = wsss::makePseudoTargets(inputs, settings).segLabel;
  CHECK(plain.eq(255).any().item<bool>());  // the band is undecided by the thresholds
  settings.matting.enabled = true;
  settings.refinement.dilations = {1, 2, 4};
  const wsss::PseudoTargets matted = wsss::makePseudoTargets(inputs, settings);
  CHECK_FALSE(matted.segLabel.eq(255).any().item<bool>());
  const torch::Tensor truth = torch::zeros({1, 32, 32}, torch::kLong);
  truth[0].narrow(0, 8, 16).narrow(1, 8, 16).fill_(1);
  const double agreement = matted.segLabel.eq(truth).to(torch::kFloat32).mean().item<double>();
  INFO("agreement with the square " << agreement);
  CHECK(agreement > 0.97);

  SECTION("the d2cam source takes D2CAM's fg/bg maps of the present classes as they are") {
    wsss::PseudoLabelInputs d2cam = inputs;
    d2cam.fgbg = torch::cat({cam, torch::full_like(cam, 0.9)}, 1);
    d2cam.labels = torch::tensor({{1.f, 0.f}});
    wsss::PseudoLabelSettings fromD2cam;
    fromD2cam.pseudo.source = wsss::PseudoSource::D2cam;
    const wsss::PseudoTargets targets = wsss::makePseudoTargets(d2cam, fromD2cam);
    CHECK(torch::allclose(targets.scores[0][0], cam[0][0]));
    CHECK(targets.scores[0][1].eq(0).all().item<bool>());  // absent
    CHECK_THROWS_WITH(wsss::makePseudoTargets(inputs, fromD2cam),
                      Catch::Contains("model.cam_head: d2cam"));
  }
}
