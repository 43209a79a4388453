#include <catch2/catch.hpp>

#include "core/config/config_loader.h"
#include "models/model_options.h"

namespace {

using wsss::ConfigError;
using wsss::ModelOptions;
using wsss::readConfigText;

TEST_CASE("model options load from YAML with torchvision-style keys", "[models][options]") {
  const auto options = readConfigText<ModelOptions>(
      "backbone: resnet18\noutput_stride: 8\nbatch_norm: trainable\nembed_dim: 64\n"
      "seg_channels: 128\naspp_rates: [3, 6]\n",
      "test");
  CHECK(options.backbone == "resnet18");
  CHECK(options.outputStride == 8);
  CHECK(wsss::choiceName(options.batchNorm) == "trainable");
  CHECK(options.embedDim == 64);
  CHECK(options.segChannels == 128);
  CHECK(options.effectiveAsppRates() == std::vector<int64_t>{6, 12});
}

TEST_CASE("model options: ASPP rates double where the deep features are at stride 8",
          "[models][options]") {
  ModelOptions options;
  CHECK(options.effectiveAsppRates() == std::vector<int64_t>{6, 12, 18});
  options.outputStride = 8;
  CHECK(options.effectiveAsppRates() == std::vector<int64_t>{12, 24, 36});
  options.outputStride = 16;
  options.backbone = "scratch";
  CHECK(options.highStride() == 8);
  CHECK(options.effectiveAsppRates() == std::vector<int64_t>{12, 24, 36});
}

TEST_CASE("model options reject bad values with the key named", "[models][options]") {
  auto problem = [](const std::string& yaml) {
    try {
      readConfigText<ModelOptions>(yaml, "test");
    } catch (const ConfigError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(problem("output_stride: 32\n"),
             Catch::Contains("output_stride") && Catch::Contains("8 or 16"));
  CHECK_THAT(problem("backbone: vgg16\n"), Catch::Contains("backbone") &&
                                               Catch::Contains("resnet101") &&
                                               Catch::Contains("scratch"));
  CHECK_THAT(problem("backbone: scratch\npretrained: resnet50.pt\n"),
             Catch::Contains("pretrained") && Catch::Contains("scratch"));
  CHECK_THAT(problem("batch_norm: sync\n"), Catch::Contains("batch_norm"));
  CHECK_THAT(problem("aspp_rates: []\n"), Catch::Contains("aspp_rates"));
  CHECK_THAT(problem("embed_dim: 0\n"), Catch::Contains("embed_dim"));
}

}  // namespace
