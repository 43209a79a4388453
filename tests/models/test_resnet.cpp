#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "models/resnet.h"

namespace {

using wsss::ResNet;

std::vector<std::string> stateKeys(torch::nn::Module& module) {
  std::vector<std::string> keys;
  for (const auto& item : module.named_parameters()) keys.push_back(item.key());
  for (const auto& item : module.named_buffers()) keys.push_back(item.key());
  return keys;
}

int64_t parameterCount(torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& parameter : module.parameters()) count += parameter.numel();
  return count;
}

const torch::nn::Conv2dImpl& conv(torch::nn::Module& module, const std::string& name) {
  for (const auto& item : module.named_modules()) {
    if (item.key() == name) return *item.value()->as<torch::nn::Conv2dImpl>();
  }
  FAIL("no module " << name);
  throw std::logic_error("unreachable");
}

TEST_CASE("resnet taps have torchvision's strides and widths at every output stride",
          "[models][resnet]") {
  torch::NoGradGuard noGrad;
  struct Case {
    std::string name;
    int64_t expansion;
  };
  // 40 x 72 is not a multiple of the strides: each tap has the rounded-up size that the
  // padded strided convolutions give, as in torchvision.
  const auto image = torch::randn({1, 3, 40, 72});
  auto sizeAt = [](int64_t side, int64_t stride) { return (side + stride - 1) / stride; };
  // ResNet-34 differs from ResNet-18 only in depth, so one output stride covers it.
  for (const auto& [name, expansion, strides] :
       {std::tuple<std::string, int64_t, std::vector<int64_t>>{"resnet18", 1, {8, 16, 32}},
        {"resnet34", 1, {16}},
        {"resnet50", 4, {8, 16, 32}}}) {
    for (int64_t stride : strides) {
      DYNAMIC_SECTION(name << " at output stride " << stride) {
        ResNet net(name, stride);
        net->eval();
        const auto taps = net->forward(image);
        CHECK(taps.low.sizes() == torch::IntArrayRef{1, 64 * expansion, 10, 18});
        CHECK(taps.mid.sizes() == torch::IntArrayRef{1, 128 * expansion, 5, 9});
        CHECK(taps.high.sizes() ==
              torch::IntArrayRef{1, 512 * expansion, sizeAt(40, stride), sizeAt(72, stride)});
        CHECK(net->lowChannels() == 64 * expansion);
        CHECK(net->midChannels() == 128 * expansion);
        CHECK(net->highChannels() == 512 * expansion);
        CHECK(net->highStride() == stride);
      }
    }
  }
}

TEST_CASE("resnet101 builds with torchvision's names and size", "[models][resnet]") {
  torch::NoGradGuard noGrad;
  ResNet net("resnet101", 16);
  // torchvision's resnet101 state_dict without fc.weight / fc.bias.
  CHECK(stateKeys(*net).size() == 624);
  CHECK(parameterCount(*net) == 42500160);
  CHECK(net->named_parameters().contains("layer3.22.conv3.weight"));
  net->eval();
  const auto taps = net->forward(torch::randn({1, 3, 32, 32}));
  CHECK(taps.high.sizes() == torch::IntArrayRef{1, 2048, 2, 2});
}

TEST_CASE("resnet parameter and buffer names are torchvision's", "[models][resnet]") {
  SECTION("resnet18") {
    ResNet net("resnet18", 16);
    const auto keys = stateKeys(*net);
    const std::set<std::string> names(keys.begin(), keys.end());
    CHECK(keys.size() == 120);  // torchvision's 122 less fc.weight and fc.bias
    CHECK(parameterCount(*net) == 11176512);
    for (const char* expected :
         {"conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
          "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer1.0.bn1.running_var",
          "layer1.1.conv2.weight", "layer2.0.conv1.weight", "layer2.0.downsample.0.weight",
          "layer2.0.downsample.1.weight", "layer2.0.downsample.1.running_mean",
          "layer2.0.downsample.1.num_batches_tracked", "layer3.1.bn2.bias",
          "layer4.0.downsample.0.weight", "layer4.1.conv2.weight", "layer4.1.bn2.running_var"}) {
      CHECK(names.count(expected) == 1);
    }
    CHECK(names.count("layer1.0.downsample.0.weight") == 0);  // 64 -> 64 keeps its shape
    CHECK(names.count("layer1.0.conv3.weight") == 0);
    CHECK(names.count("fc.weight") == 0);
  }
  SECTION("resnet34") {
    ResNet net("resnet34", 16);
    CHECK(stateKeys(*net).size() == 216);
    CHECK(parameterCount(*net) == 21284672);
  }
  SECTION("resnet50") {
    ResNet net("resnet50", 16);
    const auto keys = stateKeys(*net);
    const std::set<std::string> names(keys.begin(), keys.end());
    CHECK(keys.size() == 318);
    CHECK(parameterCount(*net) == 23508032);
    for (const char* expected :
         {"conv1.weight", "bn1.num_batches_tracked", "layer1.0.conv3.weight",
          "layer1.0.bn3.running_mean", "layer1.0.downsample.0.weight",
          "layer1.0.downsample.1.running_var", "layer2.3.conv2.weight", "layer3.5.bn3.weight",
          "layer4.0.downsample.0.weight", "layer4.2.conv3.weight", "layer4.2.bn3.bias"}) {
      CHECK(names.count(expected) == 1);
    }
    CHECK(names.count("layer1.1.downsample.0.weight") == 0);
    CHECK(net->named_parameters()["layer1.0.conv2.weight"].sizes() ==
          torch::IntArrayRef{64, 64, 3, 3});
    CHECK(net->named_parameters()["layer4.0.downsample.0.weight"].sizes() ==
          torch::IntArrayRef{2048, 1024, 1, 1});
  }
}

TEST_CASE("dilated resnets follow replace_stride_with_dilation's first-block rule",
          "[models][resnet]") {
  auto dilation = [](torch::nn::Module& net, const std::string& name) {
    return conv(net, name).options.dilation()->at(0);
  };
  auto stride = [](torch::nn::Module& net, const std::string& name) {
    return conv(net, name).options.stride()->at(0);
  };
  SECTION("output stride 16 dilates layer4") {
    ResNet net("resnet50", 16);
    CHECK(stride(*net, "layer3.0.conv2") == 2);
    CHECK(stride(*net, "layer4.0.conv2") == 1);
    CHECK(stride(*net, "layer4.0.downsample.0") == 1);
    CHECK(dilation(*net, "layer4.0.conv2") == 1);  // the first block keeps the old dilation
    CHECK(dilation(*net, "layer4.1.conv2") == 2);
    CHECK(dilation(*net, "layer4.2.conv2") == 2);
    const auto& padding =
        std::get<torch::ExpandingArray<2>>(conv(*net, "layer4.2.conv2").options.padding());
    CHECK(padding->at(0) == 2);  // the size stays that of the input
  }
  SECTION("output stride 8 dilates layer3 and layer4") {
    ResNet net("resnet50", 8);
    CHECK(stride(*net, "layer2.0.conv2") == 2);
    CHECK(stride(*net, "layer3.0.conv2") == 1);
    CHECK(dilation(*net, "layer3.0.conv2") == 1);
    CHECK(dilation(*net, "layer3.5.conv2") == 2);
    CHECK(stride(*net, "layer4.0.conv2") == 1);
    CHECK(dilation(*net, "layer4.0.conv2") == 2);
    CHECK(dilation(*net, "layer4.2.conv2") == 4);
  }
  SECTION("basic blocks dilate both convolutions") {
    ResNet net("resnet18", 16);
    CHECK(dilation(*net, "layer4.0.conv1") == 1);
    CHECK(dilation(*net, "layer4.1.conv1") == 2);
    CHECK(dilation(*net, "layer4.1.conv2") == 2);
  }
}

TEST_CASE("resnet initialises like torchvision", "[models][resnet]") {
  torch::manual_seed(0);
  ResNet net("resnet18", 16);
  auto parameters = net->named_parameters();
  // Kaiming normal, fan_out, relu gain: std = sqrt(2 / (out_channels * k * k)).
  const auto weight = parameters["layer4.1.conv2.weight"];
  const double expected = std::sqrt(2.0 / (512.0 * 9.0));
  CHECK(weight.std().item<double>() == Approx(expected).epsilon(0.02));
  CHECK(torch::all(parameters["layer2.0.bn1.weight"] == 1).item<bool>());
  CHECK(torch::all(parameters["layer2.0.bn1.bias"] == 0).item<bool>());
}

TEST_CASE("an unknown resnet depth lists the known ones", "[models][resnet]") {
  CHECK_THROWS_WITH(ResNet("resnet152", 16), Catch::Contains("resnet152") &&
                                                 Catch::Contains("resnet18") &&
                                                 Catch::Contains("resnet101"));
  CHECK_THROWS_WITH(ResNet("resnet50", 4), Catch::Contains("output stride"));
}

}  // namespace
