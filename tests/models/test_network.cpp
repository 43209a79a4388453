#include <catch2/catch.hpp>
#include <fstream>
#include <set>

#include "models/network.h"
#include "models/resnet.h"
#include "test_helpers.h"

namespace {

using wsss::ModelOptions;
using wsss::WsssNetwork;

ModelOptions resnetOptions(int64_t outputStride, const std::string& batchNorm = "frozen") {
  ModelOptions options;
  options.backbone = "resnet18";
  options.outputStride = outputStride;
  options.batchNorm = *wsss::parseChoice<wsss::BatchNormMode>(batchNorm);
  options.embedDim = 32;
  options.segChannels = 32;
  return options;
}

ModelOptions scratchOptions() {
  ModelOptions options;
  options.backbone = "scratch";
  options.scratchWidth = 8;
  options.embedDim = 16;
  options.segChannels = 16;
  return options;
}

std::set<const void*> identities(const std::vector<torch::Tensor>& tensors) {
  std::set<const void*> result;
  for (const auto& tensor : tensors) result.insert(tensor.unsafeGetTensorImpl());
  return result;
}

TEST_CASE("network outputs have the documented shapes", "[models][network]") {
  torch::NoGradGuard noGrad;
  const auto image = torch::randn({2, 3, 64, 96});
  for (int64_t stride : {8, 16}) {
    DYNAMIC_SECTION("resnet18 at output stride " << stride) {
      WsssNetwork net(resnetOptions(stride), 5);
      net->eval();
      const auto out = net->forward(image);
      CHECK(out.low.sizes() == torch::IntArrayRef{2, 64, 16, 24});
      CHECK(out.mid.sizes() == torch::IntArrayRef{2, 128, 8, 12});
      CHECK(out.high.sizes() == torch::IntArrayRef{2, 512, 64 / stride, 96 / stride});
      CHECK(out.embed.sizes() == torch::IntArrayRef{2, 32, 64 / stride, 96 / stride});
      CHECK(out.cam.sizes() == torch::IntArrayRef{2, 5, 64 / stride, 96 / stride});
      CHECK(out.logits.sizes() == torch::IntArrayRef{2, 5});
      CHECK(out.seg.sizes() == torch::IntArrayRef{2, 6, 16, 24});
      CHECK(torch::allclose(out.logits, out.cam.mean({2, 3})));
      CHECK(out.embed.min().item<float>() >= 0.0f);
    }
  }
  SECTION("scratch") {
    WsssNetwork net(scratchOptions(), 3);
    const auto out = net->forward(image);
    CHECK(out.high.sizes() == torch::IntArrayRef{2, 32, 8, 12});
    CHECK(out.cam.sizes() == torch::IntArrayRef{2, 3, 8, 12});
    CHECK(out.seg.sizes() == torch::IntArrayRef{2, 4, 16, 24});
    CHECK(net->numClasses() == 3);
    CHECK(net->options().backbone == "scratch");
  }
}

TEST_CASE("network skips the segmentation head when not asked", "[models][network]") {
  torch::NoGradGuard noGrad;
  WsssNetwork net(scratchOptions(), 2);
  const auto out = net->forward(torch::randn({1, 3, 32, 32}), /*withSegmentation=*/false);
  CHECK_FALSE(out.seg.defined());
  CHECK(out.cam.defined());
}

TEST_CASE("scratch network evaluates a single image in train and eval mode", "[models][network]") {
  torch::NoGradGuard noGrad;
  WsssNetwork net(scratchOptions(), 2);
  net->train();
  CHECK(net->forward(torch::randn({1, 3, 40, 40})).seg.sizes() == torch::IntArrayRef{1, 3, 10, 10});
  net->eval();
  CHECK(net->forward(torch::randn({1, 3, 40, 40})).seg.sizes() == torch::IntArrayRef{1, 3, 10, 10});
}

TEST_CASE("network keys put the backbone under 'backbone' with torchvision's names",
          "[models][network]") {
  WsssNetwork net(resnetOptions(16), 4);
  const auto parameters = net->named_parameters();
  CHECK(parameters.contains("backbone.conv1.weight"));
  CHECK(parameters.contains("backbone.layer1.0.conv1.weight"));
  CHECK(parameters.contains("backbone.layer4.0.downsample.0.weight"));
  CHECK(net->named_buffers().contains("backbone.layer1.0.bn1.running_mean"));
  CHECK(parameters.contains("cam_head.embed.weight"));
  CHECK(parameters.contains("cam_head.classifier.weight"));
  CHECK_FALSE(parameters.contains("cam_head.classifier.bias"));
  CHECK(parameters.contains("seg_head.classifier.weight"));
}

TEST_CASE("head and backbone parameter groups partition the trainable parameters",
          "[models][network]") {
  for (const auto& options :
       {resnetOptions(16, "frozen"), resnetOptions(16, "trainable"), scratchOptions()}) {
    DYNAMIC_SECTION(options.backbone << " with " << wsss::choiceName(options.batchNorm)
                                     << " BatchNorm") {
      WsssNetwork net(options, 4);
      const auto backbone = identities(net->backboneParameters());
      const auto heads = identities(net->headParameters());
      CHECK(backbone.size() == net->backboneParameters().size());
      CHECK(heads.size() == net->headParameters().size());
      std::vector<torch::Tensor> trainable;
      for (const auto& parameter : net->parameters()) {
        if (parameter.requires_grad()) trainable.push_back(parameter);
      }
      std::set<const void*> joined = backbone;
      joined.insert(heads.begin(), heads.end());
      CHECK(joined.size() == backbone.size() + heads.size());  // disjoint
      CHECK(joined == identities(trainable));                  // and complete
      for (const auto& item : net->named_parameters()) {
        if (item.key().rfind("backbone.", 0) == 0) {
          CHECK(heads.count(item.value().unsafeGetTensorImpl()) == 0);
        } else {
          CHECK(heads.count(item.value().unsafeGetTensorImpl()) == 1);
        }
      }
    }
  }
}

TEST_CASE("frozen BatchNorm keeps its statistics and gets no gradients", "[models][network]") {
  WsssNetwork net(resnetOptions(16, "frozen"), 3);
  net->train();
  auto buffers = net->named_buffers();
  const auto meanBefore = buffers["backbone.layer1.0.bn1.running_mean"].clone();
  const auto varBefore = buffers["backbone.bn1.running_var"].clone();
  const auto stepsBefore = buffers["backbone.bn1.num_batches_tracked"].clone();
  CHECK(net->is_training());
  const auto out = net->forward(torch::randn({2, 3, 64, 64}));
  (out.logits.sum() + out.seg.sum()).backward();

  CHECK(torch::equal(buffers["backbone.layer1.0.bn1.running_mean"], meanBefore));
  CHECK(torch::equal(buffers["backbone.bn1.running_var"], varBefore));
  CHECK(torch::equal(buffers["backbone.bn1.num_batches_tracked"], stepsBefore));
  auto parameters = net->named_parameters();
  for (const char* name : {"backbone.bn1.weight", "backbone.layer2.0.downsample.1.bias"}) {
    CHECK_FALSE(parameters[name].requires_grad());
    CHECK_FALSE(parameters[name].grad().defined());
  }
  CHECK(parameters["backbone.conv1.weight"].grad().defined());
  // The heads' BatchNorm trains as usual.
  CHECK_FALSE(torch::equal(buffers["seg_head.fuse.1.running_mean"],
                           torch::zeros_like(buffers["seg_head.fuse.1.running_mean"])));
  for (const auto& module : net->backbone().modules()) {
    if (auto* batchNorm = module->as<torch::nn::BatchNorm2dImpl>()) {
      CHECK_FALSE(batchNorm->is_training());
    }
  }
  net->eval();
  net->train();
  CHECK_FALSE(net->named_modules()["backbone.bn1"]->is_training());
  CHECK(net->named_modules()["seg_head.fuse"]->is_training());
}

TEST_CASE("trainable BatchNorm updates its statistics in train mode", "[models][network]") {
  WsssNetwork net(resnetOptions(16, "trainable"), 3);
  net->train();
  auto buffers = net->named_buffers();
  const auto meanBefore = buffers["backbone.layer1.0.bn1.running_mean"].clone();
  {
    torch::NoGradGuard noGrad;
    net->forward(torch::randn({2, 3, 64, 64}), false);
  }
  CHECK_FALSE(torch::equal(buffers["backbone.layer1.0.bn1.running_mean"], meanBefore));
  CHECK(net->named_parameters()["backbone.bn1.weight"].requires_grad());
}

TEST_CASE("network rejects pretrained weights for the scratch backbone", "[models][network]") {
  auto options = scratchOptions();
  options.pretrained = "resnet50.pt";
  CHECK_THROWS_WITH(WsssNetwork(options, 2),
                    Catch::Contains("scratch") && Catch::Contains("resnet50.pt"));
  CHECK_THROWS_WITH(WsssNetwork(scratchOptions(), 0), Catch::Contains("class"));
}

TEST_CASE("network converts its convolution weights to channels-last", "[models][network]") {
  torch::NoGradGuard noGrad;
  WsssNetwork net(scratchOptions(), 2);
  net->eval();
  const auto image = torch::randn({1, 3, 32, 32});
  const auto before = net->forward(image).seg;
  net->to(torch::MemoryFormat::ChannelsLast);
  const auto weight = net->named_parameters()["backbone.stage1.0.conv1.weight"];
  CHECK(weight.is_contiguous(torch::MemoryFormat::ChannelsLast));
  CHECK(torch::allclose(net->forward(image).seg, before, 1e-4, 1e-5));
  net->to(torch::kCPU);  // the Module overloads stay reachable
}

TEST_CASE("network loads model.pretrained into its backbone, then freezes BatchNorm",
          "[models][network]") {
  wsss::test::TempDir dir("network_pretrained");
  torch::manual_seed(7);
  wsss::ResNet source("resnet18", 16);
  c10::Dict<std::string, torch::Tensor> stateDict;
  for (const auto& item : source->named_parameters()) stateDict.insert(item.key(), item.value());
  for (const auto& item : source->named_buffers()) stateDict.insert(item.key(), item.value());
  const std::vector<char> bytes = torch::pickle_save(stateDict);
  const std::string path = (dir / "resnet18.pt").string();
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));

  auto options = resnetOptions(16, "frozen");
  options.pretrained = path;
  WsssNetwork net(options, 3);
  auto parameters = net->named_parameters();
  CHECK(torch::equal(parameters["backbone.layer3.1.conv2.weight"],
                     source->named_parameters()["layer3.1.conv2.weight"]));
  CHECK(parameters["backbone.layer3.1.conv2.weight"].requires_grad());
  CHECK_FALSE(parameters["backbone.layer3.1.bn2.weight"].requires_grad());

  options.pretrained = (dir / "absent.pt").string();
  CHECK_THROWS_WITH(WsssNetwork(options, 3), Catch::Contains("absent.pt"));
}

}  // namespace
