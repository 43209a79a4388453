// SupportNet (METHODS §1): the EMA copy, its update, the shared mode, and that it never takes
// part in a gradient.
#include <catch2/catch.hpp>

#include "core/config/config_loader.h"
#include "models/network.h"
#include "models/support_net.h"
#include "test_helpers.h"

namespace {

wsss::ModelOptions scratchOptions() {
  wsss::ModelOptions options;
  options.backbone = "scratch";
  options.scratchWidth = 8;
  options.embedDim = 16;
  options.segChannels = 16;
  return options;
}

wsss::SupportOptions emaOptions(double momentum) {
  wsss::SupportOptions options;
  options.mode = wsss::SupportMode::Ema;
  options.momentum = momentum;
  return options;
}

std::vector<torch::Tensor> snapshot(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> copies;
  for (const auto& tensor : tensors) copies.push_back(tensor.detach().clone());
  return copies;
}

}  // namespace

TEST_CASE("SupportNet starts as an exact copy of MainNet and holds no gradient",
          "[models][support]") {
  torch::manual_seed(0);
  wsss::WsssNetwork main(scratchOptions(), 3);
  wsss::SupportNet support(main, emaOptions(0.996));
  torch::nn::Module* copy = support.ownWeights();
  REQUIRE(copy != nullptr);
  const auto mainParameters = main->parameters();
  const auto copyParameters = copy->parameters();
  REQUIRE(mainParameters.size() == copyParameters.size());
  for (size_t index = 0; index < mainParameters.size(); ++index) {
    CHECK(wsss::test::sameTensor(mainParameters[index], copyParameters[index]));
    // Separate storage: training MainNet does not move SupportNet.
    CHECK(mainParameters[index].data_ptr() != copyParameters[index].data_ptr());
    CHECK_FALSE(copyParameters[index].requires_grad());
  }
  CHECK_FALSE(copy->is_training());
}

TEST_CASE("the EMA update is θ_sup ← m·θ_sup + (1−m)·θ_main, buffers copied", "[models][support]") {
  torch::manual_seed(1);
  wsss::WsssNetwork main(scratchOptions(), 3);
  const double momentum = 0.75;  // exact in binary, so the expected values are exact too
  wsss::SupportNet support(main, emaOptions(momentum));
  const auto before = snapshot(support.ownWeights()->parameters());
  {
    torch::NoGradGuard noGrad;
    for (auto& parameter : main->parameters()) parameter.add_(torch::randn_like(parameter));
  }
  support.update();
  const auto mainParameters = main->parameters();
  const auto after = support.ownWeights()->parameters();
  for (size_t index = 0; index < after.size(); ++index) {
    const torch::Tensor expected =
        before[index] * momentum + mainParameters[index] * (1 - momentum);
    CHECK(torch::allclose(after[index], expected, 0, 1e-6));
  }

  SECTION("momentum 0 copies MainNet, momentum 1 keeps SupportNet") {
    wsss::SupportNet copying(main, emaOptions(0.0));
    wsss::SupportNet keeping(main, emaOptions(1.0));
    const auto kept = snapshot(keeping.ownWeights()->parameters());
    {
      torch::NoGradGuard noGrad;
      for (auto& parameter : main->parameters()) parameter.mul_(2);
    }
    copying.update();
    keeping.update();
    const auto mainNow = main->parameters();
    const auto copied = copying.ownWeights()->parameters();
    const auto unchanged = keeping.ownWeights()->parameters();
    for (size_t index = 0; index < mainNow.size(); ++index) {
      CHECK(wsss::test::sameTensor(copied[index], mainNow[index]));
      CHECK(wsss::test::sameTensor(unchanged[index], kept[index]));
    }
  }
}

TEST_CASE("SupportNet CAMs: one per scale at the image size, relu'd, without gradient",
          "[models][support]") {
  torch::manual_seed(2);
  wsss::WsssNetwork main(scratchOptions(), 3);
  wsss::SupportOptions options = emaOptions(0.9);
  options.scales = {0.5, 1.0, 1.5};
  wsss::SupportNet support(main, options);
  const torch::Tensor image = torch::randn({2, 3, 40, 48});
  const wsss::SupportOutputs outputs = support.forward(image);
  REQUIRE(outputs.cams.size() == 3);
  for (const auto& cam : outputs.cams) {
    CHECK(cam.sizes() == torch::IntArrayRef({2, 3, 40, 48}));
    CHECK(cam.min().item<float>() >= 0);
    CHECK_FALSE(cam.requires_grad());
  }
  CHECK(outputs.embed.size(1) == 16);
  // The scale-1 maps are MainNet's own CAM while the two are equal.
  torch::NoGradGuard noGrad;
  main->eval();
  const torch::Tensor own = torch::relu(main->forward(image, false).cam);
  const torch::Tensor resized =
      torch::nn::functional::interpolate(own, torch::nn::functional::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{40, 48})
                                                  .mode(torch::kBilinear)
                                                  .align_corners(false));
  CHECK(torch::allclose(outputs.cams[1], resized, 1e-5, 1e-6));
}

TEST_CASE("shared SupportNet is MainNet under no-grad, in eval mode for the pass",
          "[models][support]") {
  torch::manual_seed(3);
  wsss::WsssNetwork main(scratchOptions(), 3);
  wsss::SupportOptions options;
  options.mode = wsss::SupportMode::Shared;
  wsss::SupportNet support(main, options);
  CHECK(support.ownWeights() == nullptr);
  main->train();
  const wsss::SupportOutputs outputs = support.forward(torch::randn({1, 3, 32, 32}));
  CHECK(main->is_training());
  CHECK_FALSE(outputs.cams.front().requires_grad());
  support.update();  // nothing to do, and no error
}

TEST_CASE("support options: the scales must include 1", "[models][support][config]") {
  CHECK_THROWS_WITH(wsss::readConfigText<wsss::SupportOptions>("scales: [0.5, 2]", "test"),
                    Catch::Contains("must include 1"));
  CHECK_THROWS_WITH(wsss::readConfigText<wsss::SupportOptions>("scales: [0, 1]", "test"),
                    Catch::Contains("must be > 0, got 0 at index 0"));
  CHECK_THROWS_WITH(wsss::readConfigText<wsss::SupportOptions>("mode: copy", "test"),
                    Catch::Contains("ema"));
  CHECK(wsss::readConfigText<wsss::SupportOptions>("mode: ema", "test").enabled());
}
