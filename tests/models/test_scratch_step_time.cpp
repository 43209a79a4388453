#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <functional>
#include <iostream>

#include "models/network.h"

namespace {

struct StepTimes {
  double wallMedian, wallMin, cpuMedian;
};

// Wall time swings when other processes share the cores; the CPU time of a one-thread step
// is the work itself, and the minimum wall time is the nearest to an idle machine's figure.
StepTimes timeSteps(const std::function<void()>& step, int threads) {
  torch::set_num_threads(threads);
  for (int warmup = 0; warmup < 2; ++warmup) step();
  std::vector<double> wall, cpu;
  for (int repeat = 0; repeat < 8; ++repeat) {
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpuStart = std::clock();
    step();
    cpu.push_back(static_cast<double>(std::clock() - cpuStart) / CLOCKS_PER_SEC);
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {wall[wall.size() / 2], wall.front(), cpu[cpu.size() / 2]};
}

// Hidden (run by hand: wsss_test_models "[benchmark]"): one training step of the scratch
// network at the CPU settings (scratch_width 32, seg_channels 64), batch 8 of 160 x 160 crops,
// 20 classes: the network's forward and backward alone, and a full step that adds the
// classification loss, cross-entropy on the segmentation logits upsampled to the crop, and SGD.
TEST_CASE("scratch network train step time", "[.][benchmark]") {
  torch::manual_seed(0);
  wsss::ModelOptions options;
  options.backbone = "scratch";
  options.scratchWidth = 32;
  options.segChannels = 64;
  wsss::WsssNetwork net(options, 20);
  net->train();
  std::vector<torch::Tensor> parameters = net->backboneParameters();
  for (auto& parameter : net->headParameters()) parameters.push_back(parameter);
  torch::optim::SGD optimizer(parameters, torch::optim::SGDOptions(0.01).momentum(0.9));

  const auto image = torch::randn({8, 3, 160, 160});
  const auto labels = (torch::rand({8, 20}) > 0.8).to(torch::kFloat);
  const auto mask = torch::randint(0, 21, {8, 160, 160}, torch::kLong);
  namespace F = torch::nn::functional;
  auto network = [&] {
    optimizer.zero_grad();
    const auto out = net->forward(image);
    (out.logits.sum() + out.seg.sum()).backward();
  };
  auto fullStep = [&] {
    optimizer.zero_grad();
    const auto out = net->forward(image);
    const auto seg = F::interpolate(out.seg, F::InterpolateFuncOptions()
                                                 .size(std::vector<int64_t>{160, 160})
                                                 .mode(torch::kBilinear)
                                                 .align_corners(false));
    const auto loss =
        F::multilabel_soft_margin_loss(out.logits, labels) + F::cross_entropy(seg, mask);
    loss.backward();
    optimizer.step();
  };
  for (const auto& [name, step] :
       {std::pair<const char*, std::function<void()>>{"network forward+backward", network},
        {"full train step", fullStep}}) {
    for (int threads : {1, 2}) {
      const StepTimes times = timeSteps(step, threads);
      std::cout << name << ", " << threads << " thread(s): wall median " << times.wallMedian
                << " s, min " << times.wallMin << " s; CPU median " << times.cpuMedian << " s\n";
    }
  }
}

}  // namespace
