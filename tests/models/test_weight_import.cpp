#include <catch2/catch.hpp>
#include <fstream>

#include "core/error.h"
#include "models/resnet.h"
#include "models/weight_import.h"
#include "test_helpers.h"

namespace {

using wsss::loadTorchvisionWeights;
using wsss::test::TempDir;

// A stand-in with torchvision-like names: conv1, bn1 and a Sequential layer1.
struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl() {
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(4));
    layer1 = register_module(
        "layer1",
        torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 4, 1).bias(false))));
  }
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr};
};
TORCH_MODULE(TinyNet);

using StateDict = std::vector<std::pair<std::string, torch::Tensor>>;

// The module's tensors by name, as torch.save(model.state_dict()) would hold them.
StateDict stateDictOf(torch::nn::Module& module, const std::string& prefix = "") {
  StateDict entries;
  for (const auto& item : module.named_parameters()) {
    entries.emplace_back(prefix + item.key(), item.value().detach().clone());
  }
  for (const auto& item : module.named_buffers()) {
    entries.emplace_back(prefix + item.key(), item.value().clone());
  }
  return entries;
}

// Written with torch::pickle_save, which produces the same zip format as Python's torch.save.
std::string save(const TempDir& dir, const StateDict& entries, const std::string& name = "w.pt") {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [key, tensor] : entries) dict.insert(key, tensor);
  const std::vector<char> bytes = torch::pickle_save(dict);
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

StateDict without(StateDict entries, const std::string& name) {
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [&](const auto& entry) { return entry.first == name; }),
                entries.end());
  return entries;
}

std::string errorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const wsss::Error& error) {
    return error.what();
  }
  return "no error";
}

TEST_CASE("weights load key for key, torchvision's fc ignored quietly", "[models][weights]") {
  TempDir dir("weights");
  torch::manual_seed(1);
  wsss::ResNet source("resnet18", 16);
  auto entries = stateDictOf(*source);
  entries.emplace_back("fc.weight", torch::randn({1000, 512}));
  entries.emplace_back("fc.bias", torch::randn({1000}));
  const std::string path = save(dir, entries);

  wsss::ResNet target("resnet18", 16);
  const auto report = loadTorchvisionWeights(*target, path);
  CHECK(report.loaded.size() == 120);
  CHECK(report.ignored == std::vector<std::string>{"fc.bias", "fc.weight"});
  CHECK(report.unexpected.empty());
  CHECK(report.missingCounters.empty());
  auto loaded = target->named_parameters();
  for (const auto& item : source->named_parameters()) {
    CHECK(torch::equal(loaded[item.key()], item.value()));
    CHECK(loaded[item.key()].requires_grad());
  }
  auto buffers = target->named_buffers();
  for (const auto& item : source->named_buffers())
    CHECK(torch::equal(buffers[item.key()], item.value()));
}

TEST_CASE("weights with module. or backbone. prefixes load", "[models][weights]") {
  TempDir dir("weights");
  TinyNet source;
  for (const std::string prefix : {"module.", "backbone.", "module.backbone."}) {
    DYNAMIC_SECTION(prefix) {
      TinyNet target;
      const auto report = loadTorchvisionWeights(*target, save(dir, stateDictOf(*source, prefix)));
      CHECK(report.loaded.size() == 8);
      CHECK(torch::equal(target->conv1->weight, source->conv1->weight));
    }
  }
}

TEST_CASE("missing and mis-shaped weights are named, and nothing is copied", "[models][weights]") {
  TempDir dir("weights");
  TinyNet source;
  auto entries = without(stateDictOf(*source), "layer1.0.weight");
  for (auto& [key, tensor] : entries) {
    if (key == "bn1.weight") tensor = torch::ones({5});
  }
  entries.emplace_back("head.extra", torch::ones({2}));
  const std::string path = save(dir, entries, "bad.pt");
  TinyNet target;
  const auto before = target->conv1->weight.clone();
  const std::string message = errorOf([&] { loadTorchvisionWeights(*target, path); });
  CHECK_THAT(message, Catch::Contains(path));
  CHECK_THAT(message, Catch::Contains("missing: layer1.0.weight"));
  CHECK_THAT(message, Catch::Contains("bn1.weight (file [5], model [4])"));
  CHECK_THAT(message, Catch::Contains("unexpected: head.extra"));
  CHECK(torch::equal(target->conv1->weight, before));
}

TEST_CASE("unexpected weights are reported, not fatal", "[models][weights]") {
  TempDir dir("weights");
  TinyNet source;
  auto entries = stateDictOf(*source);
  entries.emplace_back("layer9.0.weight", torch::ones({3}));
  TinyNet target;
  const auto report = loadTorchvisionWeights(*target, save(dir, entries));
  CHECK(report.unexpected == std::vector<std::string>{"layer9.0.weight"});
  CHECK(report.loaded.size() == 8);
}

TEST_CASE("a file without BatchNorm step counters still loads", "[models][weights]") {
  TempDir dir("weights");
  TinyNet source;
  TinyNet target;
  const auto report = loadTorchvisionWeights(
      *target, save(dir, without(stateDictOf(*source), "bn1.num_batches_tracked")));
  CHECK(report.missingCounters == std::vector<std::string>{"bn1.num_batches_tracked"});
}

TEST_CASE("files that are not a state_dict are refused with the export line", "[models][weights]") {
  TempDir dir("weights");
  TinyNet target;
  SECTION("garbage bytes") {
    const auto path = (dir / "garbage.pt").string();
    wsss::test::writeText(path, "this is not a checkpoint");
    const std::string message = errorOf([&] { loadTorchvisionWeights(*target, path); });
    CHECK_THAT(message, Catch::Contains(path) && Catch::Contains("torch.save") &&
                            Catch::Contains("state_dict()"));
  }
  SECTION("a single tensor") {
    const auto path = (dir / "tensor.pt").string();
    const auto bytes = torch::pickle_save(torch::ones({2}));
    std::ofstream(path, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    const std::string message = errorOf([&] { loadTorchvisionWeights(*target, path); });
    CHECK_THAT(message, Catch::Contains(path) && Catch::Contains("not a state_dict"));
  }
  SECTION("no such file") {
    const auto path = (dir / "absent.pt").string();
    const std::string message = errorOf([&] { loadTorchvisionWeights(*target, path); });
    CHECK_THAT(message, Catch::Contains(path) && Catch::Contains("cannot open"));
  }
}

}  // namespace
