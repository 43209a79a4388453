#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "models/resnet.h"
#include "models/state_dict_file.h"
#include "models/weight_import.h"
#include "test_helpers.h"

namespace {

using wsss::test::TempDir;

std::map<std::string, torch::Tensor> readTensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& entry : torch::pickle_load(bytes).toGenericDict()) {
    tensors[entry.key().toStringRef()] = entry.value().toTensor();
  }
  return tensors;
}

// tests/reference/resnet_reference.py's files, written once per run of the binary.
struct ReferenceFiles {
  TempDir dir{"resnet_reference"};
  wsss::test::CommandResult script =
      wsss::test::runReferenceScript("resnet_reference.py", "--out '" + dir.path().string() + "'");
};

const ReferenceFiles& referenceFiles() {
  static const ReferenceFiles files;
  return files;
}

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
  REQUIRE(a.sizes() == b.sizes());
  return (a - b).abs().max().item<double>();
}

// One test case, so that a run of just this case (as ctest does) writes the files once; the
// sections share them through referenceFiles().
TEST_CASE("files from Python: torchvision's resnet50 and nested state_dicts",
          "[models][reference]") {
  const auto& files = referenceFiles();
  INFO(files.script.output);
  REQUIRE(files.script.exitCode == 0);

  // Our ResNet-50 with torchvision's weights against torchvision's own layer outputs, in eval
  // mode. Both sides run the same float32 kernels and the taps usually agree bit for bit; a
  // different kernel choice (another CPU, thread count) only changes summation order, ~1e-6
  // on activations up to ~20, so 1e-4 absorbs that without hiding a wrong weight, stride or
  // dilation.
  SECTION("resnet50 taps match torchvision at output strides 16 and 8") {
    const auto reference = readTensors((files.dir / "taps.pt").string());
    const std::string weights = (files.dir / "resnet50.pt").string();
    constexpr double kTolerance = 1e-4;
    torch::NoGradGuard noGrad;
    for (int64_t stride : {16, 8}) {
      INFO("output stride " << stride);
      wsss::ResNet net("resnet50", stride);
      const auto report = wsss::loadTorchvisionWeights(*net, weights);
      CHECK(report.loaded.size() == 318);
      CHECK(report.ignored == std::vector<std::string>{"fc.bias", "fc.weight"});
      CHECK(report.unexpected.empty());
      net->eval();
      const auto taps = net->forward(reference.at("input"));
      CHECK(maxAbsDiff(taps.low, reference.at("layer1")) < kTolerance);
      CHECK(maxAbsDiff(taps.mid, reference.at("layer2")) < kTolerance);
      CHECK(maxAbsDiff(taps.high, reference.at("os" + std::to_string(stride) + ".layer4")) <
            kTolerance);
    }
  }

  // An OrderedDict state_dict nested in a plain dict under "state_dict", as training scripts
  // save it, with "module." prefixes.
  SECTION("a state_dict nested in a checkpoint dict reads with its names") {
    const auto entries = wsss::readStateDict((files.dir / "wrapped.pt").string());
    std::vector<std::string> names;
    for (const auto& entry : entries) names.push_back(entry.first);
    CHECK(names == std::vector<std::string>{"module.weight", "module.bias", "module.running_mean",
                                            "module.running_var", "module.num_batches_tracked"});
    CHECK(torch::equal(entries.front().second, torch::tensor({1.0f, 2.0f, 3.0f})));
  }
}

}  // namespace
