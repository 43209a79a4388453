#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json_format.h"
#include "core/logging.h"
#include "data/voc_dataset.h"
#include "train/checkpoints/checkpoint.h"
#include "train/commands/commands.h"
#include "train/commands/experiment_setup.h"
#include "train/commands/run_paths.h"
#include "train/distributed/process_group.h"
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

// [{"threshold": 0.05, "mIoU": 41.2346}, ...]: thresholds with the 6 significant digits they
// have always been written with, which drop the float noise of 0.05 * 3 (0.15000000000000002).
nlohmann::ordered_json sweepJson(const std::vector<double>& thresholds,
                                 const std::vector<SegmentationScores>& sweep) {
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  for (size_t index = 0; index < sweep.size(); ++index) {
    json.push_back({{"threshold", roundedToSignificantDigits(thresholds[index], 6)},
                    {"mIoU", jsonPercent(sweep[index].meanIou)}});
  }
  return json;
}

}  // namespace

Command pseudoCommand() {
  Command command;
  command.name = "pseudo";
  command.summary =
      "pseudo-labels for a split (CCI, or the step's source) and the refiners: PNGs, scores "
      "where masks exist";
  FlagSpec checkpoint{"checkpoint", "CKPT",
                      "the trained network (e.g. runs/x/checkpoints/last.pt)"};
  checkpoint.required = true;
  command.flags = {
      configFlag(),
      checkpoint,
      workDirFlag("where labels/, metrics.json and config.yaml go (default <run>/pseudo-<split>)"),
      {"split", "NAME", "split to label (default data.train_split)"},
      {"save-trimaps", "DIR",
       "with matting.enabled: write each present class's trimap as DIR/<id>_<class>.png "
       "(0 background, 128 unknown, 255 foreground)"},
      {"boundary-band", "PX",
       "where the split has masks, also score the labels within PX pixels of an edge "
       "(metrics.json's \"boundary\")"}};
  command.acceptsOverrides = true;
  command.run = [](const ParsedArguments& arguments) {
    const ExperimentConfig config = loadExperiment(arguments);
    WSSS_CHECK(arguments.has("checkpoint"),
               "missing --checkpoint CKPT: the trained network whose maps are labelled");
    const std::string checkpoint = arguments.text("checkpoint");
    const std::string split = arguments.text("split", config.data.trainSplit);
    const std::filesystem::path workDir = arguments.text(
        "work-dir",
        (std::filesystem::path(runDirOfCheckpoint(checkpoint)) / ("pseudo-" + split)).string());

    const int64_t boundaryBand = arguments.integer("boundary-band", 0);
    WSSS_CHECK(boundaryBand >= 0, "--boundary-band must not be negative, got ", boundaryBand);
    WSSS_CHECK(!arguments.has("save-trimaps") || config.matting.enabled,
               "--save-trimaps: trimaps are made by the matting refiner, which is off; add "
               "matting.enabled=true");
    // Under torchrun every rank labels its share of the split and rank 0 reports the sums.
    const std::shared_ptr<DistributedGroup> group = joinLaunchedJob(config);
    const bool leads = !group || group->leads();
    const torch::Device device = group ? group->device() : resolveDevice(config.device);
    CheckpointFile file(checkpoint, device);
    const TrainingProgress trained = file.progress();
    checkModelMatches(checkpoint, trained, config);
    const auto dataset = std::make_shared<const VocDataset>(
        evaluationDataOptions(config, ScoredMaps::Pseudo), split);
    // Every weight comes from the checkpoint; the pretrained file is not needed.
    TrainingModels models = buildTrainingModels(config, dataset->numClasses(), device, false);
    loadForPseudoLabels(file, models, config);
    // The labels are written into labels.partial/, which replaces labels/ (and config.yaml is
    // written) once every image is labelled: a run that stops half-way (an unreadable image,
    // a full disk) leaves the labels of the last complete run as they were, never a mixture.
    const std::filesystem::path labelDir = workDir / "labels";
    const std::filesystem::path stagingDir = workDir / "labels.partial";
    if (leads) {
      std::error_code error;
      std::filesystem::create_directories(workDir, error);
      WSSS_CHECK(!error, "cannot create the work dir ", workDir.string(), ": ", error.message(),
                 " (choose a --work-dir that can be written)");
      std::filesystem::remove_all(stagingDir);
    }
    if (group) group->barrier();  // no rank writes into the folder before it is emptied

    PseudoExportSettings settings;
    settings.labelDir = stagingDir.string();
    settings.sweepThresholds = backgroundThresholdSweep();
    settings.trimapDir = arguments.text("save-trimaps");
    settings.boundaryBand = boundaryBand;
    settings.group = group;
    settings.progress = [](int64_t done, int64_t total) {
      if (done % 100 == 0 || done == total) {
        logInfo("labelled " + std::to_string(done) + "/" + std::to_string(total) + " images");
      }
    };
    const bool cci = usesCci(config);
    logInfo("pseudo-labels for " + split + " (" + std::to_string(dataset->size()) +
            " images) from " + checkpoint + " (iteration " + std::to_string(trained.iteration) +
            "), " + (cci ? "cci.mode " + choiceName(config.cci.mode) :
                           "source " + choiceName(config.pseudo.source)) +
            (config.pseudo.refine ? ", refined" : "") +
            (config.matting.enabled ? ", matting " + choiceName(config.matting.solver) : ""));
    PseudoExportResult result;
    try {
      result = exportPseudoLabels(models, dataset, config, device, settings);
    } catch (...) {
      std::error_code ignored;
      if (!group) std::filesystem::remove_all(stagingDir, ignored);
      throw;
    }
    // Every rank has written its labels: exportPseudoLabels sums the counts over the ranks.
    if (!leads) return 0;
    writeRunConfig(workDir.string(), config);
    std::filesystem::remove_all(labelDir);
    std::filesystem::rename(stagingDir, labelDir);
    settings.labelDir = labelDir.string();
    const double imagesPerSecond =
        result.seconds > 0 ? static_cast<double>(result.images) / result.seconds : 0.0;
    logInfo("wrote " + std::to_string(result.images) + " labels to " + settings.labelDir + " (" +
            std::to_string(imagesPerSecond) + " images/s on " + device.str() + ")");
    if (!settings.trimapDir.empty()) {
      logInfo("wrote " + std::to_string(result.trimaps) + " trimaps to " + settings.trimapDir);
    }

    std::vector<std::pair<std::string, nlohmann::ordered_json>> fields = {
        {"split", split},
        {"checkpoint", checkpoint},
        {"iteration", trained.iteration},
        {"source", choiceName(config.pseudo.source)}};
    if (cci) {
      fields.insert(fields.end(), {{"cci_mode", choiceName(config.cci.mode)},
                                   {"cci_split", config.cci.split},
                                   {"cci_rounds", config.cci.rounds},
                                   {"cci_scales", config.cci.scales},
                                   {"cci_flip", config.cci.flip}});
    }
    fields.insert(fields.end(), {
        {"refine", config.pseudo.refine},
        {"matting", config.matting.enabled ? nlohmann::ordered_json(choiceName(config.matting.solver))
                                           : nlohmann::ordered_json(false)},
        {"labels_dir", settings.labelDir},
        {"images", result.images},
        {"images_per_second", roundedToDecimals(imagesPerSecond, 6)},
        {"device", device.str()}});
    if (!settings.trimapDir.empty()) {
      fields.emplace_back("trimaps_dir", settings.trimapDir);
      fields.emplace_back("trimaps", result.trimaps);
    }
    std::string metrics;
    if (result.scores) {
      const auto names = classNamesWithBackground(*dataset);
      std::cout << formatScoresTable(*result.scores, names);
      if (result.boundary) {
        std::cout << formatBoundaryLine(*result.boundary, settings.boundaryBand);
        fields.push_back(boundaryField(*result.boundary, names, settings.boundaryBand));
      }
      if (!result.sweep.empty()) {
        std::cout << sweepTable(settings.sweepThresholds, result.sweep);
        const size_t best = bestThreshold(result.sweep);
        fields.emplace_back("bg_threshold_sweep",
                            sweepJson(settings.sweepThresholds, result.sweep));
        fields.emplace_back("best_bg_threshold",
                            roundedToDecimals(settings.sweepThresholds[best], 6));
        fields.emplace_back("best_bg_threshold_mIoU", jsonPercent(result.sweep[best].meanIou));
      }
      metrics = jsonFileText(scoresJson(*result.scores, names, fields));
    } else {
      logInfo("split " + split + " has no masks: the labels are written but not scored");
      nlohmann::ordered_json unscored = nlohmann::ordered_json::object();
      for (const auto& [key, value] : fields) unscored[key] = value;
      metrics = jsonFileText(unscored);
    }
    const std::string metricsPath = (workDir / "metrics.json").string();
    writeFileAtomically(metricsPath, metrics);
    logInfo("wrote " + metricsPath);
    return 0;
  };
  return command;
}

}  // namespace wsss
