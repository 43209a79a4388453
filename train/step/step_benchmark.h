#pragma once
// Throughput of the real training step (forward, pseudo-labels, losses, backward, optimiser
// step) on one batch held on the device, so the figure is the network's and not the loader's.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/batch.h"
#include "train/experiment_config.h"
#include "train/step/loss_term.h"

namespace wsss {

struct StepBenchmarkSetting {
  std::string name;     // e.g. "threads 2" or "bf16 + channels_last"
  int64_t threads = 0;  // torch CPU threads; 0 = leave as is
  bool amp = false;
  bool channelsLast = false;
  std::function<void(ExperimentConfig&)> change;  // what the setting changes in the config
};

struct StepBenchmarkResult {
  StepBenchmarkSetting setting;
  double imagesPerSecond = 0;
  double peakMemoryMiB = -1;  // CUDA only
};

// The settings worth comparing on `device`: CPU thread counts, or on CUDA fp32 against bf16
// autocast and channels_last.
std::vector<StepBenchmarkSetting> stepBenchmarkSettings(const torch::Device& device);

// The step with the config's method parts apart, at the config's threads and AMP: the baseline
// (every part off), each part the config switches on alone, and the config as given. The parts
// come from the lists: each loss term of `terms` that can be switched off ("+ rcm"), a
// pseudo-label source other than cam ("+ support pseudo-labels") and each refiner on
// ("+ refinement"); SupportNet runs in a row only when a part of it reads SupportNet.
std::vector<StepBenchmarkSetting> methodBenchmarkSettings(
    const ExperimentConfig& config, const LossTermList& terms = standardLossTerms());

// Times `steps` steps after two of warm-up, with the segmentation head on, for each setting,
// each on a freshly initialised network (seeded alike).
std::vector<StepBenchmarkResult> benchmarkTrainingSteps(
    const ExperimentConfig& config, int64_t numClasses, const Batch& batch,
    const torch::Device& device, const std::vector<StepBenchmarkSetting>& settings, int64_t steps,
    const LossTermList& terms = standardLossTerms());

}  // namespace wsss
