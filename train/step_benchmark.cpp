#include "train/step_benchmark.h"

#include <c10/cuda/CUDACachingAllocator.h>
#include <torch/torch.h>

#include <chrono>
#include <thread>

#include "train/device_batch.h"
#include "train/optimizer_factory.h"
#include "train/training_models.h"
#include "train/training_step.h"

namespace wsss {

namespace {

void synchronise(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

}  // namespace

std::vector<StepBenchmarkSetting> stepBenchmarkSettings(const torch::Device& device) {
  if (device.is_cuda()) {
    return {{"fp32", 0, false, false, {}},
            {"bf16 autocast", 0, true, false, {}},
            {"bf16 autocast + channels_last", 0, true, true, {}}};
  }
  const int64_t cores = std::max<int64_t>(1, std::thread::hardware_concurrency());
  std::vector<StepBenchmarkSetting> settings;
  for (int64_t threads = 1; threads <= cores; threads *= 2) {
    settings.push_back({"threads " + std::to_string(threads), threads, false, false, {}});
  }
  return settings;
}

std::vector<StepBenchmarkSetting> methodBenchmarkSettings(const ExperimentConfig& config) {
  const auto baseline = [](ExperimentConfig& run) {
    run.support.mode = "off";
    run.rcm.enabled = false;
    run.mam.enabled = false;
    run.pseudo.source = "cam";
    run.pseudo.refine = false;
    run.affc.enabled = false;
    run.selfguided.camTarget = false;
    run.aamr.enabled = false;
  };
  const std::string support = config.support.mode;
  std::vector<StepBenchmarkSetting> settings;
  const auto add = [&](const std::string& name, std::function<void(ExperimentConfig&)> change) {
    StepBenchmarkSetting setting;
    setting.name = name;
    setting.threads = config.train.threads;
    setting.amp = config.train.amp;
    setting.channelsLast = config.train.channelsLast;
    setting.change = std::move(change);
    settings.push_back(setting);
  };
  add("baseline", baseline);
  if (config.pseudo.source == "support") {
    add("+ support pseudo-labels", [=](ExperimentConfig& run) {
      baseline(run);
      run.support.mode = support;
      run.pseudo.source = "support";
    });
  }
  if (config.rcm.enabled) {
    add("+ rcm", [=](ExperimentConfig& run) {
      baseline(run);
      run.support.mode = support;
      run.rcm.enabled = true;
    });
  }
  if (config.mam.enabled) {
    add("+ mam", [=](ExperimentConfig& run) {
      baseline(run);
      run.support.mode = support;
      run.mam.enabled = true;
    });
  }
  if (config.pseudo.refine) {
    add("+ refinement", [=](ExperimentConfig& run) {
      baseline(run);
      run.pseudo.refine = true;
    });
  }
  if (config.affc.enabled) {
    add("+ affc", [=](ExperimentConfig& run) {
      baseline(run);
      run.affc.enabled = true;
    });
  }
  if (config.selfguided.camTarget) {
    add("+ cam target", [=](ExperimentConfig& run) {
      baseline(run);
      run.selfguided.camTarget = true;
    });
  }
  if (config.aamr.enabled) {
    add("+ aamr", [=](ExperimentConfig& run) {
      baseline(run);
      run.aamr.enabled = true;
    });
  }
  add("as configured", [](ExperimentConfig&) {});
  return settings;
}

std::vector<StepBenchmarkResult> benchmarkTrainingSteps(
    const ExperimentConfig& config, int64_t numClasses, const Batch& cpuBatch,
    const torch::Device& device, const std::vector<StepBenchmarkSetting>& settings, int64_t steps) {
  std::vector<StepBenchmarkResult> results;
  for (const StepBenchmarkSetting& setting : settings) {
    if (setting.threads > 0) torch::set_num_threads(static_cast<int>(setting.threads));
    ExperimentConfig run = config;
    run.train.amp = setting.amp;
    run.train.channelsLast = setting.channelsLast;
    if (setting.change) setting.change(run);
    // Past every warm-up, so the segmentation head and its loss are timed too.
    const int64_t iteration = run.train.iterations - 1;
    torch::manual_seed(static_cast<uint64_t>(run.seed));
    TrainingModels models = buildTrainingModels(run, numClasses, device, true);
    auto optimizer = makeOptimizer(models.network, run.train);
    const Batch batch = batchToDevice(cpuBatch, device, setting.channelsLast);
    auto step = [&] {
      const LossTerms losses = forwardLosses(models, batch, run, iteration, device);
      optimizer->zero_grad();
      losses.total.backward();
      optimizer->step();
      models.afterOptimizerStep();
    };
    for (int warmup = 0; warmup < 2; ++warmup) step();
    synchronise(device);
    if (device.is_cuda()) {
      c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
    }
    const auto start = std::chrono::steady_clock::now();
    for (int64_t index = 0; index < steps; ++index) step();
    synchronise(device);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    StepBenchmarkResult result;
    result.setting = setting;
    result.imagesPerSecond =
        static_cast<double>(steps * batch.size()) / std::max(elapsed.count(), 1e-9);
    if (device.is_cuda()) {
      const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
      result.peakMemoryMiB = static_cast<double>(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0);
    }
    results.push_back(result);
  }
  return results;
}

}  // namespace wsss
