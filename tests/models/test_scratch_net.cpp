#include <catch2/catch.hpp>

#include "models/scratch_net.h"

namespace {

using wsss::ScratchNet;

TEST_CASE("scratch net taps are at strides 4, 8 and 8", "[models][scratch]") {
  torch::NoGradGuard noGrad;
  ScratchNet net(16);
  const auto taps = net->forward(torch::randn({2, 3, 64, 80}));
  CHECK(taps.low.sizes() == torch::IntArrayRef{2, 16, 16, 20});
  CHECK(taps.mid.sizes() == torch::IntArrayRef{2, 32, 8, 10});
  CHECK(taps.high.sizes() == torch::IntArrayRef{2, 64, 8, 10});
  CHECK(net->lowChannels() == 16);
  CHECK(net->midChannels() == 32);
  CHECK(net->highChannels() == 64);
  CHECK(net->highStride() == 8);
  CHECK_FALSE(net->usesBatchNorm());
}

TEST_CASE("scratch net has no BatchNorm, so one image gives the same features alone",
          "[models][scratch]") {
  torch::NoGradGuard noGrad;
  torch::manual_seed(3);
  ScratchNet net(8);
  for (const auto& module : net->modules()) {
    CHECK(module->as<torch::nn::BatchNorm2dImpl>() == nullptr);
  }
  net->train();
  const auto batch = torch::randn({3, 3, 48, 48});
  const auto together = net->forward(batch).high;
  const auto alone = net->forward(batch.slice(0, 1, 2)).high;
  CHECK(torch::allclose(together.slice(0, 1, 2), alone, 1e-4, 1e-5));
}

TEST_CASE("scratch net's last stage sees well beyond its own cell", "[models][scratch]") {
  // A change at one corner of the image must reach the high tap several cells away: the
  // dilated last stage is what gives CAMs context at stride 8.
  torch::NoGradGuard noGrad;
  torch::manual_seed(4);
  ScratchNet net(8);
  net->eval();
  auto image = torch::zeros({1, 3, 96, 96});
  const auto before = net->forward(image).high;
  image.index_put_(
      {0, torch::indexing::Slice(), torch::indexing::Slice(0, 4), torch::indexing::Slice(0, 4)},
      5.0);
  const auto after = net->forward(image).high;
  const auto changed = (after - before).abs().sum(1)[0] > 1e-6;  // 12 x 12 cells
  CHECK(changed[6][6].item<bool>());
}

}  // namespace
