// Checkpoint files: everything round-trips, and damaged or foreign files are refused by name.
#include <catch2/catch.hpp>
#include <filesystem>

#include "core/error.h"
#include "test_helpers.h"
#include "train/checkpoints/checkpoint.h"
#include "train/checkpoints/checkpoint_files.h"

using wsss::test::TempDir;
using wsss::test::writeText;

namespace {

struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl() {
    linear = register_module("linear", torch::nn::Linear(3, 2));
    norm = register_module("norm", torch::nn::BatchNorm1d(2));
  }
  torch::Tensor forward(const torch::Tensor& x) { return norm(linear(x)); }
  torch::nn::Linear linear{nullptr};
  torch::nn::BatchNorm1d norm{nullptr};
};
TORCH_MODULE(TinyNet);

// Two SGD steps with momentum, so the optimiser has state worth saving.
void trainTwoSteps(TinyNet& net, torch::optim::SGD& optimizer) {
  for (int step = 0; step < 2; ++step) {
    optimizer.zero_grad();
    net->forward(torch::randn({4, 3})).pow(2).sum().backward();
    optimizer.step();
  }
}

}  // namespace

TEST_CASE("a checkpoint restores weights, buffers, optimiser, progress and RNG", "[checkpoint]") {
  TempDir dir("checkpoint");
  torch::manual_seed(1);
  TinyNet net;
  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  trainTwoSteps(net, optimizer);
  wsss::TrainingProgress progress;
  progress.iteration = 2;
  progress.sampler = {7, 3, 11};
  progress.bestMetric = 41.5;
  progress.bestIteration = 2;
  progress.configYaml = "seed: 7\n";
  const std::string path = (dir / "checkpoints/last.pt").string();
  wsss::saveCheckpoint(path, *net, &optimizer, progress);
  const torch::Tensor nextRandom = torch::rand({3});

  // The continued original and a restored copy take one more identical step.
  torch::manual_seed(99);
  TinyNet copy;
  torch::optim::SGD copyOptimizer(copy->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  const wsss::TrainingProgress loaded = wsss::loadCheckpoint(path, *copy, &copyOptimizer, true);
  CHECK(torch::equal(torch::rand({3}), nextRandom));
  CHECK(loaded.iteration == 2);
  CHECK(loaded.sampler.seed == 7);
  CHECK(loaded.sampler.epoch == 3);
  CHECK(loaded.sampler.position == 11);
  CHECK(loaded.bestMetric == 41.5);
  CHECK(loaded.configYaml == "seed: 7\n");
  CHECK(wsss::readCheckpointProgress(path).iteration == 2);
  CHECK(torch::equal(copy->norm->running_mean, net->norm->running_mean));

  // Momentum buffers came back too: one more identical step keeps the weights identical.
  const torch::Tensor input = torch::randn({4, 3});
  auto stepOnce = [&input](TinyNet& model, torch::optim::SGD& opt) {
    opt.zero_grad();
    model->forward(input).pow(2).sum().backward();
    opt.step();
  };
  stepOnce(net, optimizer);
  stepOnce(copy, copyOptimizer);
  CHECK(torch::equal(copy->linear->weight, net->linear->weight));
}

TEST_CASE("damaged, foreign and missing checkpoints are refused by name", "[checkpoint]") {
  TempDir dir("checkpoint_bad");
  TinyNet net;
  SECTION("missing") {
    CHECK_THROWS_WITH(wsss::loadCheckpoint((dir / "none.pt").string(), *net, nullptr, false),
                      Catch::Contains("none.pt does not exist"));
  }
  SECTION("not a checkpoint") {
    writeText(dir / "garbage.pt", "this is not a zip archive");
    CHECK_THROWS_WITH(wsss::loadCheckpoint((dir / "garbage.pt").string(), *net, nullptr, false),
                      Catch::Contains("garbage.pt cannot be read"));
  }
  SECTION("truncated") {
    const std::string path = (dir / "cut.pt").string();
    wsss::saveCheckpoint(path, *net, nullptr, wsss::TrainingProgress{});
    const std::string bytes = wsss::test::readText(path);
    writeText(path, bytes.substr(0, bytes.size() / 2));
    CHECK_THROWS_WITH(wsss::loadCheckpoint(path, *net, nullptr, false),
                      Catch::Contains("cut.pt cannot be read"));
  }
  SECTION("one byte changed inside") {
    const std::string path = (dir / "flipped.pt").string();
    wsss::saveCheckpoint(path, *net, nullptr, wsss::TrainingProgress{});
    std::string bytes = wsss::test::readText(path);
    bytes[bytes.size() / 3] ^= 0x10;
    writeText(path, bytes);
    CHECK_THROWS_WITH(wsss::loadCheckpoint(path, *net, nullptr, false),
                      Catch::Contains("flipped.pt cannot be read (entry '") &&
                          Catch::Contains("does not match its CRC-32"));
  }
  SECTION("weights of another network") {
    const std::string path = (dir / "other.pt").string();
    torch::nn::Linear other(5, 5);
    wsss::saveCheckpoint(path, *other, nullptr, wsss::TrainingProgress{});
    CHECK_THROWS_WITH(wsss::loadCheckpoint(path, *net, nullptr, false),
                      Catch::Contains("other.pt does not fit this network"));
  }
  SECTION("weights only, asked to resume training") {
    const std::string path = (dir / "weights.pt").string();
    wsss::saveCheckpoint(path, *net, nullptr, wsss::TrainingProgress{});
    torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(0.1));
    CHECK_THROWS_WITH(wsss::loadCheckpoint(path, *net, &optimizer, false),
                      Catch::Contains("holds weights only"));
  }
}

TEST_CASE("damaged checkpoints the fuzzer found are refused by name", "[checkpoint]") {
  // tests/fuzz/corpus/checkpoint/regression_*: inputs that once escaped the reader with a
  // library's exception instead of an error naming the file (scripts/fuzz.sh).
  TempDir dir("checkpoint_fuzz_regressions");
  int inputs = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(wsss::test::sourceDir() / "tests/fuzz/corpus/checkpoint")) {
    if (entry.path().filename().string().rfind("regression_", 0) != 0) continue;
    ++inputs;
    const std::string path = (dir / entry.path().filename()).string();
    std::filesystem::copy_file(entry.path(), path);
    TinyNet net;
    torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
    try {
      wsss::loadCheckpoint(path, *net, &optimizer, true);
      FAIL("no error for " << path);
    } catch (const wsss::Error& error) {
      const std::string message = error.what();
      CHECK_THAT(message, Catch::Contains(path));
      // One line: a library's backtrace or TorchScript's source excerpt is left out.
      CHECK(message.find('\n') == std::string::npos);
    }
  }
  CHECK(inputs >= 1);
}

TEST_CASE("only the newest iteration checkpoints are kept", "[checkpoint]") {
  TempDir dir("checkpoint_prune");
  const std::string work = dir.path().string();
  for (int64_t iteration : {100, 200, 300, 400}) {
    writeText(wsss::iterationCheckpointPath(work, iteration), "x");
  }
  writeText(wsss::lastCheckpointPath(work), "x");
  wsss::pruneIterationCheckpoints(work, 2);
  namespace fs = std::filesystem;
  CHECK_FALSE(fs::exists(wsss::iterationCheckpointPath(work, 100)));
  CHECK_FALSE(fs::exists(wsss::iterationCheckpointPath(work, 200)));
  CHECK(fs::exists(wsss::iterationCheckpointPath(work, 300)));
  CHECK(fs::exists(wsss::iterationCheckpointPath(work, 400)));
  CHECK(fs::exists(wsss::lastCheckpointPath(work)));
  CHECK(wsss::iterationCheckpointPath(work, 400).find("iter_000400.pt") != std::string::npos);
}
