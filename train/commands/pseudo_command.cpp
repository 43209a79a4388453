#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/logging.h"
#include "data/voc_dataset.h"
#include "train/checkpoints/checkpoint.h"
#include "train/commands/commands.h"
#include "train/commands/experiment_setup.h"
#include "train/commands/run_paths.h"
#include "train/evaluation/evaluation_report.h"
#include "train/evaluation/network_evaluation.h"
#include "train/pseudo/pseudo_label_export.h"
#include "train/run_device.h"
#include "train/training_models.h"

namespace wsss {

namespace {

// The index of the sweep's best threshold (the first of equals).
size_t bestThreshold(const std::vector<SegmentationScores>& sweep) {
  size_t best = 0;
  for (size_t index = 1; index < sweep.size(); ++index) {
    if (sweep[index].meanIou > sweep[best].meanIou) best = index;
  }
  return best;
}

std::string sweepTable(const std::vector<double>& thresholds,
                       const std::vector<SegmentationScores>& sweep) {
  std::ostringstream table;
  table << "background threshold on the raw maps (argmax of [threshold, maps]):\n";
  const size_t best = bestThreshold(sweep);
  for (size_t index = 0; index < sweep.size(); ++index) {
    table << "  " << std::fixed << std::setprecision(2) << thresholds[index] << "  mIoU "
          << std::setw(6) << 100.0 * sweep[index].meanIou << (index == best ? "  <- best" : "")
          << "\n";
  }
  return table.str();
}

std::string sweepJson(const std::vector<double>& thresholds,
                      const std::vector<SegmentationScores>& sweep) {
  std::ostringstream json;
  json << "[";
  for (size_t index = 0; index < sweep.size(); ++index) {
    json << (index ? ", " : "") << "{\"threshold\": " << thresholds[index]
         << ", \"mIoU\": " << jsonPercent(sweep[index].meanIou) << "}";
  }
  return json.str() + "]";
}

}  // namespace

Command pseudoCommand() {
  Command command;
  command.name = "pseudo";
  command.summary =
      "pseudo-labels for a split by class-conditional inference: PNGs, scores where masks exist";
  FlagSpec checkpoint{"checkpoint", "CKPT",
                      "the trained classifier (e.g. runs/x/checkpoints/last.pt)"};
  checkpoint.required = true;
  command.flags = {
      configFlag(),
      checkpoint,
      workDirFlag("where labels/, metrics.json and config.yaml go (default <run>/pseudo-<split>)"),
      {"split", "NAME", "split to label (default data.train_split)"}};
  command.acceptsOverrides = true;
  command.run = [](const ParsedArguments& arguments) {
    const ExperimentConfig config = loadExperiment(arguments);
    WSSS_CHECK(arguments.has("checkpoint"),
               "missing --checkpoint CKPT: the trained classifier whose CAM CCI asks");
    const std::string checkpoint = arguments.text("checkpoint");
    const std::string split = arguments.text("split", config.data.trainSplit);
    const std::filesystem::path workDir = arguments.text(
        "work-dir",
        (std::filesystem::path(runDirOfCheckpoint(checkpoint)) / ("pseudo-" + split)).string());

    checkCciSource(config);
    const TrainingProgress trained = readCheckpointProgress(checkpoint);
    checkModelMatches(checkpoint, trained, config);
    const auto dataset = std::make_shared<const VocDataset>(config.data, split);
    const torch::Device device = resolveDevice(config.device);
    // Every weight comes from the checkpoint; the pretrained file is not needed.
    TrainingModels models = buildTrainingModels(config, dataset->numClasses(), device, false);
    loadCheckpoint(checkpoint, *models.network, nullptr, false, {});
    writeRunConfig(workDir.string(), config);

    PseudoExportSettings settings;
    settings.labelDir = (workDir / "labels").string();
    settings.sweepThresholds = backgroundThresholdSweep();
    settings.progress = [](int64_t done, int64_t total) {
      if (done % 100 == 0 || done == total) {
        logInfo("labelled " + std::to_string(done) + "/" + std::to_string(total) + " images");
      }
    };
    logInfo("pseudo-labels for " + split + " (" + std::to_string(dataset->size()) +
            " images) from " + checkpoint + " (iteration " + std::to_string(trained.iteration) +
            "), cci.mode " + choiceName(config.cci.mode) +
            (config.pseudo.refine ? ", refined" : ""));
    const PseudoExportResult result = exportPseudoLabels(models, dataset, config, device, settings);
    const double imagesPerSecond =
        result.seconds > 0 ? static_cast<double>(result.images) / result.seconds : 0.0;
    logInfo("wrote " + std::to_string(result.images) + " labels to " + settings.labelDir + " (" +
            std::to_string(imagesPerSecond) + " images/s on " + device.str() + ")");

    const std::vector<std::pair<std::string, std::string>> fields = {
        {"split", jsonString(split)},
        {"checkpoint", jsonString(checkpoint)},
        {"iteration", std::to_string(trained.iteration)},
        {"cci_mode", jsonString(choiceName(config.cci.mode))},
        {"cci_split", config.cci.split ? "true" : "false"},
        {"cci_rounds", std::to_string(config.cci.rounds)},
        {"cci_scales", jsonNumberList(config.cci.scales)},
        {"cci_flip", config.cci.flip ? "true" : "false"},
        {"refine", config.pseudo.refine ? "true" : "false"},
        {"labels_dir", jsonString(settings.labelDir)},
        {"images", std::to_string(result.images)},
        {"images_per_second", std::to_string(imagesPerSecond)},
        {"device", jsonString(device.str())}};
    std::string metrics;
    if (result.scores) {
      const auto names = classNamesWithBackground(*dataset);
      std::cout << formatScoresTable(*result.scores, names);
      std::cout << sweepTable(settings.sweepThresholds, result.sweep);
      const size_t best = bestThreshold(result.sweep);
      std::vector<std::pair<std::string, std::string>> scoredFields = fields;
      scoredFields.emplace_back("bg_threshold_sweep",
                                sweepJson(settings.sweepThresholds, result.sweep));
      scoredFields.emplace_back("best_bg_threshold",
                                std::to_string(settings.sweepThresholds[best]));
      scoredFields.emplace_back("best_bg_threshold_mIoU", jsonPercent(result.sweep[best].meanIou));
      metrics = scoresJson(*result.scores, names, scoredFields);
    } else {
      logInfo("split " + split + " has no masks: the labels are written but not scored");
      std::ostringstream json;
      json << "{\n";
      for (size_t index = 0; index < fields.size(); ++index) {
        json << "  \"" << fields[index].first << "\": " << fields[index].second
             << (index + 1 < fields.size() ? ",\n" : "\n");
      }
      metrics = json.str() + "}\n";
    }
    const std::string metricsPath = (workDir / "metrics.json").string();
    writeFileAtomically(metricsPath, metrics);
    logInfo("wrote " + metricsPath);
    return 0;
  };
  return command;
}

}  // namespace wsss
