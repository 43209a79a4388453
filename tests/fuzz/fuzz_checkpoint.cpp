// libFuzzer target: a checkpoint file, opened and loaded as `wsss train --resume` does: its
// progress and effective config read, then the network, the optimiser, a named part and the
// random generators restored. The network is a small stand-in (a checkpoint's reader does not
// depend on its size); an input that is not a checkpoint of it must be refused by name.
//
// WSSS_FUZZ_WRITE_SEED=<file> makes the target write a valid checkpoint of its network to
// <file> and exit: the seed corpus's checkpoint (scripts/fuzz.sh --seeds).
#include <torch/torch.h>

#include <cstddef>
#include <cstdint>

#include "core/config/config_loader.h"
#include "fuzz_input.h"
#include "train/checkpoints/checkpoint.h"
#include "train/experiment_config.h"

namespace {

struct SmallNetwork : torch::nn::Module {
  SmallNetwork() {
    body = register_module("body", torch::nn::Linear(4, 3));
    norm = register_module("norm", torch::nn::BatchNorm1d(3));
  }
  torch::nn::Linear body{nullptr};
  torch::nn::BatchNorm1d norm{nullptr};
};

void writeSeed(const std::string& file) {
  torch::manual_seed(0);
  SmallNetwork network;
  SmallNetwork support;
  torch::optim::SGD optimizer(network.parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  network.norm->train();
  torch::Tensor loss = network.norm(network.body(torch::randn({5, 4}))).square().mean();
  loss.backward();
  optimizer.step();
  wsss::TrainingProgress progress;
  progress.iteration = 1;
  // A short config keeps the seed small; the reader fills in the defaults as for any file.
  progress.configYaml = "train:\n  iterations: 10\n";
  wsss::saveCheckpoint(file, network, &optimizer, progress, {{"support", &support}});
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* seed = std::getenv("WSSS_FUZZ_WRITE_SEED")) {
    writeSeed(seed);
    std::exit(0);
  }
  torch::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path file = wsss::fuzz::scratchFolder() / "last.pt";
  wsss::fuzz::writeInput(file, data, size);
  wsss::fuzz::expectCleanFailureOrSuccess(file.string(), [&] {
    wsss::CheckpointFile checkpoint(file.string(), torch::kCPU);
    const wsss::TrainingProgress progress = checkpoint.progress();
    wsss::readConfigText<wsss::ExperimentConfig>(progress.configYaml,
                                                 "checkpoint " + file.string());
    SmallNetwork network;
    SmallNetwork support;
    torch::optim::SGD optimizer(network.parameters(),
                                torch::optim::SGDOptions(0.1).momentum(0.9));
    checkpoint.load(network, &optimizer, /*restoreRandomState=*/true,
                    {{"support", &support}});
  });
  return 0;
}
