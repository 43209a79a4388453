// The D2CAM head and its two constraints (METHODS §4) on known answers.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "losses/d2cam_losses.h"
#include "models/d2cam_head.h"
#include "models/network.h"

namespace {

torch::Tensor unit(std::vector<float> values) {
  const torch::Tensor v = torch::tensor(values);
  return v / v.norm();
}

}  // namespace

TEST_CASE("D2CAM maps: a prototype at a pixel's embedding gives M = 1, and P_c crosses 0.5 where "
          "the class and the nearest background prototype tie",
          "[models][d2cam]") {
  // Three pixels of 2-d embeddings: along x, along y, and the diagonal.
  const torch::Tensor embedding =
      torch::stack({unit({1, 0}), unit({0, 1}), unit({1, 1})}, 1).view({1, 2, 1, 3});
  const torch::Tensor prototypes = torch::stack({unit({1, 0})});     // class 1 along x
  const torch::Tensor background = torch::stack({unit({0, 1}), unit({-1, 0})});
  const wsss::DecoupledMaps decoupled =
      wsss::decoupledMaps(embedding, prototypes, background, 0.1);
  const torch::Tensor& maps = decoupled.category;
  const torch::Tensor& fgbg = decoupled.fgbg;
  CHECK(maps[0][0][0][0].item<double>() == Approx(1.0));
  CHECK(maps[0][0][0][1].item<double>() == Approx(0.0).margin(1e-6));
  // The margins: 1 − max(0, −1) on the class, 0 − 1 on a background prototype, a tie between.
  CHECK(decoupled.margin[0][0][0][0].item<double>() == Approx(1.0));
  CHECK(decoupled.margin[0][0][0][1].item<double>() == Approx(-1.0));
  CHECK(decoupled.margin[0][0][0][2].item<double>() == Approx(0.0).margin(1e-6));
  // The diagonal is as near the class as the nearest background prototype: P = 0.5.
  CHECK(fgbg[0][0][0][2].item<double>() == Approx(0.5).margin(1e-5));
  CHECK(fgbg[0][0][0][0].item<double>() > 0.99);  // on the class: cos 1 against 0
  CHECK(fgbg[0][0][0][1].item<double>() < 0.01);  // on a background prototype
}

TEST_CASE("D2CAM image logits: s times the mean of the top share of the map", "[models][d2cam]") {
  const torch::Tensor maps = torch::arange(10, torch::kFloat32).view({1, 1, 2, 5}) / 10;
  // The top 10 % of 10 pixels is one: 0.9.
  CHECK(wsss::topMeanLogits(maps, 10.0, 0.1).item<double>() == Approx(9.0));
  // The top 30 %: 0.9, 0.8, 0.7.
  CHECK(wsss::topMeanLogits(maps, 10.0, 0.3).item<double>() == Approx(8.0));
}

TEST_CASE("L_sep is 0 for orthogonal prototypes and grows as they meet, L_ex is 0 for disjoint "
          "maps",
          "[losses][d2cam]") {
  CHECK(wsss::separationLoss(torch::eye(3)).item<double>() == 0.0);
  // Opposed prototypes are apart too.
  CHECK(wsss::separationLoss(torch::stack({unit({1, 0}), unit({-1, 0})})).item<double>() == 0.0);
  double previous = 0.0;
  for (const float y : {2.0f, 1.0f, 0.5f, 0.1f}) {
    const double loss =
        wsss::separationLoss(torch::stack({unit({1, 0}), unit({1, y})})).item<double>();
    CHECK(loss > previous);
    previous = loss;
  }
  // Two prototypes at cos 0.6: both ordered pairs count, 2 · 0.36.
  CHECK(wsss::separationLoss(torch::stack({unit({1, 0}), unit({0.6f, 0.8f})})).item<double>() ==
        Approx(0.72));

  torch::Tensor fgbg = torch::zeros({1, 3, 2, 2});
  fgbg[0][0][0].fill_(1.0);  // class 1 on the top row
  fgbg[0][1][1].fill_(1.0);  // class 2 on the bottom row
  fgbg[0][2].fill_(1.0);     // class 3 everywhere, but absent
  const torch::Tensor labels = torch::tensor({{1.f, 1.f, 0.f}});
  CHECK(wsss::exclusionLoss(fgbg, labels).item<double>() == 0.0);
  // Class 2 spreading over the top row: each of its two pixels has the pair both ways.
  fgbg[0][1][0].fill_(0.5);
  CHECK(wsss::exclusionLoss(fgbg, labels).item<double>() == Approx(2 * 0.5 * 2 / 4.0));
}

TEST_CASE("model.cam_head d2cam: the same network with D2CAM's outputs, trained by its losses",
          "[models][d2cam]") {
  wsss::ModelOptions options;
  options.backbone = "scratch";
  options.scratchWidth = 8;
  options.embedDim = 16;
  options.segChannels = 16;
  options.camHead = wsss::CamHeadKind::D2cam;
  torch::manual_seed(0);
  wsss::WsssNetwork network(options, 3);
  const auto parameters = network->named_parameters();
  CHECK(parameters.contains("cam_head.prototypes"));
  CHECK(parameters["cam_head.background_prototypes"].size(0) == 4);
  const wsss::NetworkOutputs out = network->forward(torch::randn({2, 3, 48, 48}), true);
  CHECK(out.cam.sizes() == out.fgbg.sizes());
  CHECK(out.cam.abs().max().item<double>() <= 1.0 + 1e-5);
  CHECK(out.logits.sizes() == torch::IntArrayRef({2, 3}));
  CHECK(out.prototypes.sizes() == torch::IntArrayRef({3, 16}));
  CHECK(out.seg.defined());
  const torch::Tensor loss = wsss::separationLoss(out.prototypes) +
                             wsss::exclusionLoss(out.fgbg, torch::ones({2, 3}));
  loss.backward();
  CHECK(parameters["cam_head.prototypes"].grad().abs().sum().item<double>() > 0);
  CHECK(parameters["cam_head.background_prototypes"].grad().abs().sum().item<double>() > 0);
  CHECK(parameters["cam_head.embed.weight"].grad().abs().sum().item<double>() > 0);

  SECTION("the plain head has no fg/bg maps") {
    options.camHead = wsss::CamHeadKind::Cam;
    wsss::WsssNetwork plain(options, 3);
    const wsss::NetworkOutputs plainOut = plain->forward(torch::randn({1, 3, 48, 48}), false);
    CHECK_FALSE(plainOut.fgbg.defined());
    CHECK_FALSE(plainOut.prototypes.defined());
  }
}
