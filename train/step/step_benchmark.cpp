#include "train/step/step_benchmark.h"

#include <c10/cuda/CUDACachingAllocator.h>
#include <torch/torch.h>

#include <chrono>
#include <optional>
#include <thread>

#include "train/device_batch.h"
#include "train/loop/optimizer_factory.h"
#include "train/pseudo/pseudo_label_refiners.h"
#include "train/pseudo/pseudo_label_sources.h"
#include "train/step/training_step.h"
#include "train/training_models.h"

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

namespace {

// A part of the step the benchmark can take out: how to switch it off, and whether it reads
// SupportNet.
struct MethodPart {
  std::string name;
  std::function<void(ExperimentConfig&)> switchOff;
  bool readsSupport = false;
};

std::vector<MethodPart> methodParts(const ExperimentConfig& config, const LossTermList& terms) {
  std::vector<MethodPart> parts;
  const PseudoLabelSource source = pseudoLabelSource(config.pseudo.source);
  // The points source has no CAM to stand in for: only L_pm reads it, so its cost shows in
  // the row of that term.
  if (source.id != PseudoSource::Cam && !source.readsPoints) {
    parts.push_back({"+ " + choiceName(source.id) + " pseudo-labels",
                     [](ExperimentConfig& run) { run.pseudo.source = PseudoSource::Cam; },
                     source.readsSupport});
  }
  for (const PseudoLabelRefiner& refiner : pseudoLabelRefiners(config.pseudoLabelSettings())) {
    parts.push_back({"+ " + refiner.name, refiner.switchOff});
  }
  for (const LossTerm& term : terms) {
    if (term.inBaseline || !term.isOn(config)) continue;
    parts.push_back({"+ " + term.name, [term](ExperimentConfig& run) { term.switchOffIn(run); },
                     term.needsIn(config).support});
  }
  return parts;
}

}  // namespace

std::vector<StepBenchmarkSetting> methodBenchmarkSettings(const ExperimentConfig& config,
                                                          const LossTermList& terms) {
  const std::vector<MethodPart> parts = methodParts(config, terms);
  // The config with every part off but `kept` (none for the baseline); SupportNet stays only
  // for a kept part that reads it.
  const auto onlyPart = [parts](std::optional<size_t> kept) {
    return [parts, kept](ExperimentConfig& run) {
      for (size_t index = 0; index < parts.size(); ++index) {
        if (index != kept) parts[index].switchOff(run);
      }
      if (!kept || !parts[*kept].readsSupport) run.support.mode = SupportMode::Off;
    };
  };
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
  add("baseline", onlyPart(std::nullopt));
  for (size_t index = 0; index < parts.size(); ++index) add(parts[index].name, onlyPart(index));
  add("as configured", [](ExperimentConfig&) {});
  return settings;
}

std::vector<StepBenchmarkResult> benchmarkTrainingSteps(
    const ExperimentConfig& config, int64_t numClasses, const Batch& cpuBatch,
    const torch::Device& device, const std::vector<StepBenchmarkSetting>& settings, int64_t steps,
    const LossTermList& terms) {
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
      const LossTerms losses = forwardLosses(models, batch, run, iteration, device, terms);
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
