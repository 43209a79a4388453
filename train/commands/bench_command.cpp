#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json_format.h"
#include "data/data_loader.h"
#include "data/voc_dataset.h"
#include "models/refine/image_refinement.h"
#include "train/commands/commands.h"
#include "train/commands/experiment_setup.h"
#include "train/crop_box.h"
#include "train/device_batch.h"
#include "train/pseudo/pseudo_label_folder.h"
#include "train/pseudo/pseudo_labels.h"
#include "train/run_device.h"
#include "train/step/step_benchmark.h"

namespace wsss {

namespace {

// What `wsss bench --what` times.
enum class BenchTarget { Loader, Train, Methods, Refine };
const ChoiceNames<BenchTarget>& choiceNames(BenchTarget) {
  static const ChoiceNames<BenchTarget> names = {{BenchTarget::Loader, "loader"},
                                                 {BenchTarget::Train, "train"},
                                                 {BenchTarget::Methods, "methods"},
                                                 {BenchTarget::Refine, "refine"}};
  return names;
}

// --json FILE: the rows a bench prints, as one JSON object (written when the bench ends), so
// that scripts compare runs without parsing the table:
//   {"what": .., "backbone": .., "batch": .., "crop": .., <fields>, "rows": [{..}, ...]}
class JsonReport {
 public:
  JsonReport(std::string path, const std::string& what, const ExperimentConfig& config)
      : path_(std::move(path)),
        header_({{"what", what},
                 {"backbone", config.model.backbone},
                 {"batch", config.train.batchSize},
                 {"crop", config.data.augment.cropSize}}) {}
  void field(const std::string& name, const nlohmann::ordered_json& value) {
    header_[name] = value;
  }
  // One row: an object, e.g. {{"workers", 2}, {"images_per_s", 41.5}}.
  void row(const nlohmann::ordered_json& fields) { rows_.push_back(fields); }
  void write() const {
    if (path_.empty()) return;
    nlohmann::ordered_json report = header_;
    report["rows"] = rows_;
    writeFileAtomically(path_, jsonFileText(report));
  }

 private:
  std::string path_;
  nlohmann::ordered_json header_;
  nlohmann::ordered_json rows_ = nlohmann::ordered_json::array();
};

// A measured rate or time with the 6 significant digits the report has always had.
double measured(double value) { return roundedToSignificantDigits(value, 6); }

// Images per second of the training loader (read, augment, collate) with `workers` threads,
// over `batches` batches after one batch of warm-up.
double loaderThroughput(const std::shared_ptr<const VocDataset>& dataset,
                        const ExperimentConfig& config, int64_t workers, int64_t batches) {
  LoaderOptions options = loaderOptionsFor(config.data, config.train.batchSize, true,
                                           static_cast<uint64_t>(config.seed));
  options.workers = workers;
  DataLoader loader(dataset, options);
  loader.next();
  const auto start = std::chrono::steady_clock::now();
  int64_t images = 0;
  for (int64_t batch = 0; batch < batches; ++batch) images += loader.next()->size();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return static_cast<double>(images) / elapsed.count();
}

int benchLoader(const ExperimentConfig& config, const std::shared_ptr<const VocDataset>& dataset,
                int64_t batches, JsonReport& report) {
  std::printf("loader on %s/%s: batch %lld, crop %lld, %lld batches per setting\n",
              config.data.root.c_str(), config.data.trainSplit.c_str(),
              static_cast<long long>(config.train.batchSize),
              static_cast<long long>(config.data.augment.cropSize),
              static_cast<long long>(batches));
  std::printf("%8s %12s %10s\n", "workers", "images/s", "vs 0");
  double baseline = 0;
  for (int64_t workers = 0; workers <= config.data.workers; ++workers) {
    const double rate = loaderThroughput(dataset, config, workers, batches);
    if (workers == 0) baseline = rate;
    std::printf("%8lld %12.1f %9.2fx\n", static_cast<long long>(workers), rate, rate / baseline);
    report.row({{"workers", workers}, {"images_per_s", measured(rate)}});
  }
  report.write();
  return 0;
}

// The training step on one real batch, for each setting worth comparing on the device.
int benchTrainingStep(const ExperimentConfig& config,
                      const std::shared_ptr<const VocDataset>& dataset, int64_t steps, bool methods,
                      JsonReport& report) {
  const torch::Device device = resolveDevice(config.device);
  LoaderOptions options = loaderOptionsFor(config.data, config.train.batchSize, true,
                                           static_cast<uint64_t>(config.seed));
  DataLoader loader(dataset, options);
  const Batch batch = *loader.next();
  std::printf("training step of %s on %s: batch %lld, crop %lld, %lld steps per setting\n",
              config.model.backbone.c_str(), device.str().c_str(),
              static_cast<long long>(config.train.batchSize),
              static_cast<long long>(config.data.augment.cropSize), static_cast<long long>(steps));
  const auto settings = methods ? methodBenchmarkSettings(config) : stepBenchmarkSettings(device);
  const auto results =
      benchmarkTrainingSteps(config, dataset->numClasses(), batch, device, settings, steps);
  std::printf("%-32s %12s %10s %14s\n", "setting", "images/s", "vs first", "peak MiB");
  report.field("device", device.str());
  report.field("steps", steps);
  for (const StepBenchmarkResult& result : results) {
    const double ratio = result.imagesPerSecond / results.front().imagesPerSecond;
    if (result.peakMemoryMiB >= 0) {
      std::printf("%-32s %12.1f %9.2fx %14.0f\n", result.setting.name.c_str(),
                  result.imagesPerSecond, ratio, result.peakMemoryMiB);
    } else {
      std::printf("%-32s %12.1f %9.2fx %14s\n", result.setting.name.c_str(), result.imagesPerSecond,
                  ratio, "-");
    }
    const nlohmann::ordered_json peakMiB =
        result.peakMemoryMiB >= 0 ? nlohmann::ordered_json(measured(result.peakMemoryMiB))
                                  : nlohmann::ordered_json(nullptr);
    report.row(
        {{"setting", result.setting.name},
         {"threads", result.setting.threads > 0 ? result.setting.threads
                                                : static_cast<int64_t>(torch::get_num_threads())},
         {"amp", result.setting.amp},
         {"channels_last", result.setting.channelsLast},
         {"images_per_s", measured(result.imagesPerSecond)},
         {"peak_mib", peakMiB}});
  }
  report.write();
  return 0;
}

// Milliseconds per call of `work`, over `repeats` calls after one of warm-up.
double millisecondsPerCall(const std::function<void()>& work, const torch::Device& device,
                           int64_t repeats) {
  work();
  if (device.is_cuda()) torch::cuda::synchronize();
  const auto start = std::chrono::steady_clock::now();
  for (int64_t index = 0; index < repeats; ++index) work();
  if (device.is_cuda()) torch::cuda::synchronize();
  const std::chrono::duration<double, std::milli> elapsed =
      std::chrono::steady_clock::now() - start;
  return elapsed.count() / static_cast<double>(repeats);
}

// The image-guided refinement of one batch against the rest of the training step: the step
// without refinement, the refinement of `channels` maps per image (every channel, as a
// dataset of that many classes would have before the present ones are picked), and of the
// batch's present classes only, as the pseudo-label engine runs it.
int benchRefinement(const ExperimentConfig& config,
                    const std::shared_ptr<const VocDataset>& dataset, int64_t repeats,
                    int64_t channels, JsonReport& report) {
  const torch::Device device = resolveDevice(config.device);
  if (config.train.threads > 0) torch::set_num_threads(static_cast<int>(config.train.threads));
  LoaderOptions options = loaderOptionsFor(config.data, config.train.batchSize, true,
                                           static_cast<uint64_t>(config.seed));
  DataLoader loader(dataset, options);
  const Batch cpuBatch = *loader.next();
  const Batch batch = batchToDevice(cpuBatch, device, false);
  const int64_t height = batch.image.size(2);
  const int64_t width = batch.image.size(3);
  std::printf("refinement on %s: batch %lld, crop %lld x %lld, %lld calls per row\n",
              device.str().c_str(), static_cast<long long>(batch.size()),
              static_cast<long long>(height), static_cast<long long>(width),
              static_cast<long long>(repeats));

  StepBenchmarkSetting withoutRefinement;
  withoutRefinement.name = "step without refinement";
  withoutRefinement.threads = config.train.threads;
  withoutRefinement.amp = config.train.amp;
  withoutRefinement.change = [](ExperimentConfig& run) { run.pseudo.refine = false; };
  const auto step = benchmarkTrainingSteps(config, dataset->numClasses(), cpuBatch, device,
                                           {withoutRefinement}, repeats);
  const double stepMs = 1000.0 * static_cast<double>(batch.size()) / step.front().imagesPerSecond;

  torch::manual_seed(static_cast<uint64_t>(config.seed));
  const torch::Tensor allMaps =
      torch::rand({batch.size(), channels, height, width}, batch.image.options());
  const torch::Tensor valid = batch.cropBox.defined()
                                  ? insideCropBox(batch.cropBox, height, width, device)
                                  : torch::Tensor();
  const double allMs = millisecondsPerCall(
      [&] { refineWithImage(batch.image, allMaps, valid, config.refine); }, device, repeats);
  const torch::Tensor presentMaps =
      torch::rand({batch.size(), dataset->numClasses(), height, width}, batch.image.options());
  const double presentMs = millisecondsPerCall(
      [&] { refinePresentClasses(batch.image, presentMaps, batch.labels, valid, config.refine); },
      device, repeats);

  std::printf("%-40s %12s %14s\n", "row", "ms / batch", "vs the step");
  std::printf("%-40s %12.1f %13.2fx\n", "training step without refinement", stepMs, 1.0);
  const std::string all = "refinement, " + std::to_string(channels) + " maps per image";
  std::printf("%-40s %12.1f %13.2fx\n", all.c_str(), allMs, allMs / stepMs);
  const std::string present = "refinement, present classes (max " +
                              std::to_string(batch.labels.sum(1).max().item<int64_t>()) + ")";
  std::printf("%-40s %12.1f %13.2fx\n", present.c_str(), presentMs, presentMs / stepMs);
  report.field("device", device.str());
  const std::pair<std::string, double> rows[] = {
      {"training step without refinement", stepMs}, {all, allMs}, {present, presentMs}};
  for (const auto& [name, ms] : rows) {
    report.row({{"row", name}, {"ms_per_batch", measured(ms)}, {"vs_step", measured(ms / stepMs)}});
  }
  report.write();
  return 0;
}

}  // namespace

Command benchCommand() {
  Command command;
  command.name = "bench";
  command.summary =
      "measure throughput side by side: the loader (0..data.workers threads) or the training "
      "step (CPU threads; fp32 / bf16 / channels_last on CUDA), or the step with each method "
      "part of the config on its own";
  command.flags = {
      configFlag(),
      {"what", "loader|train|methods|refine",
       "what to time (default loader); methods: the baseline step against each "
       "part the config switches on; refine: the image-guided refinement of a "
       "batch against the rest of the step"},
      {"batches", "N", "batches (or steps) timed per setting (default 20)"},
      {"channels", "N", "--what refine: maps per image of the all-channel row (default 21)"},
      {"json", "FILE",
       "also write the rows as JSON to FILE: {\"what\", \"backbone\", \"batch\", \"crop\", ..., "
       "\"rows\": [...]}; train and methods rows hold setting, threads, amp, channels_last, "
       "images_per_s and peak_mib (null on the CPU)"}};
  command.acceptsOverrides = true;
  command.run = [](const ParsedArguments& arguments) {
    const ExperimentConfig config = loadExperiment(arguments);
    // The same algorithm choice as `train` (cuDNN autotuning unless train.deterministic).
    useDeterministicAlgorithms(config.train.deterministic);
    const int64_t batches = arguments.integer("batches", 20);
    WSSS_CHECK(batches >= 1, "--batches: need at least 1, got ", batches);
    const std::string what = arguments.text("what", "loader");
    const std::optional<BenchTarget> target = parseChoice<BenchTarget>(what);
    WSSS_CHECK(target, "--what: '", what, "' is not one of loader, train, methods, refine");
    const int64_t channels = arguments.integer("channels", 21);
    WSSS_CHECK(channels >= 1, "--channels: need at least 1, got ", channels);
    const auto dataset =
        std::make_shared<const VocDataset>(trainingDataOptions(config), config.data.trainSplit);
    checkPseudoLabelFolder(config, *dataset);
    JsonReport report(arguments.text("json"), what, config);
    switch (*target) {
      case BenchTarget::Refine:
        return benchRefinement(config, dataset, batches, channels, report);
      case BenchTarget::Train:
      case BenchTarget::Methods:
        return benchTrainingStep(config, dataset, batches, *target == BenchTarget::Methods, report);
      case BenchTarget::Loader:
        break;
    }
    return benchLoader(config, dataset, batches, report);
  };
  return command;
}

}  // namespace wsss
