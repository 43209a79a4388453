#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

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
#include "train/run_device.h"
#include "train/training_models.h"

namespace wsss {

Command evalCommand() {
  Command command;
  command.name = "eval";
  command.summary = "score a checkpoint on a split: per-class IoU, mIoU, metrics.json";
  FlagSpec checkpoint{"checkpoint", "CKPT",
                      "the checkpoint to score (e.g. runs/x/checkpoints/best.pt)"};
  checkpoint.required = true;
  command.flags = {
      configFlag(),
      checkpoint,
      workDirFlag("where metrics.json and config.yaml go (default <run>/eval-<split>-<target>)"),
      {"split", "NAME", "split to score (default data.val_split)"},
      {"target", "seg|pseudo",
       "seg: the segmentation head (default); pseudo: the pseudo-labels the training step "
       "makes (pseudo.source, e.g. the CAM's or the clicks'; cam is the older word for it)"},
      {"save-png", "DIR", "write each prediction as a VOC-palette PNG into DIR"},
      {"boundary-band", "PX",
       "also score the pixels within PX pixels of an edge of the masks on their own "
       "(boundary quality; metrics.json's \"boundary\")"}};
  command.acceptsOverrides = true;
  command.run = [](const ParsedArguments& arguments) {
    const ExperimentConfig config = loadExperiment(arguments);
    WSSS_CHECK(arguments.has("checkpoint"), "missing --checkpoint CKPT: the checkpoint to score");
    const std::string checkpoint = arguments.text("checkpoint");
    const std::string split = arguments.text("split", config.data.valSplit);
    EvaluationTarget target;
    const std::string targetWord = arguments.text("target", "seg");
    const std::optional<ScoredMaps> scored = parseChoice<ScoredMaps>(targetWord);
    WSSS_CHECK(scored, "--target '", targetWord, "' is not one of seg, pseudo (or cam)");
    target.target = *scored;
    target.savePngDir = arguments.text("save-png");
    target.showProgress = true;
    target.boundaryBand = arguments.integer("boundary-band", 0);
    WSSS_CHECK(target.boundaryBand >= 0, "--boundary-band must not be negative, got ",
               target.boundaryBand);
    const std::string workDir =
        arguments.text("work-dir", (std::filesystem::path(runDirOfCheckpoint(checkpoint)) /
                                    ("eval-" + split + "-" + targetWord))
                                       .string());

    // Under torchrun every rank scores its share of the split and rank 0 reports the sums.
    target.group = joinLaunchedJob(config);
    const bool leads = !target.group || target.group->leads();
    const torch::Device device = target.group ? target.group->device() : resolveDevice(config.device);
    CheckpointFile file(checkpoint, device);
    const TrainingProgress trained = file.progress();
    checkModelMatches(checkpoint, trained, config);
    const auto dataset =
        std::make_shared<const VocDataset>(evaluationDataOptions(config, target.target), split);
    // Every weight comes from the checkpoint; the pretrained file is not needed.
    TrainingModels models = buildTrainingModels(config, dataset->numClasses(), device, false);
    if (scoresPseudoLabels(target.target)) {
      loadForPseudoLabels(file, models, config);
    } else {
      file.load(*models.network, nullptr, false, {});
    }
    // config.yaml is written beside metrics.json once the split is scored, so an evaluation
    // that stops half-way leaves an earlier one's pair as it was; the folder is made now, so an
    // unwritable --work-dir stops the command before the scoring.
    if (leads) {
      std::error_code error;
      std::filesystem::create_directories(workDir, error);
      WSSS_CHECK(!error, "cannot create the work dir ", workDir, ": ", error.message(),
                 " (choose a --work-dir that can be written)");
    }

    logInfo("scoring " + checkpoint + " (iteration " + std::to_string(trained.iteration) + ") on " +
            split + " (" + std::to_string(dataset->size()) + " images), target " + targetWord);
    const auto start = std::chrono::steady_clock::now();
    const SplitScores splitScores = evaluateNetwork(models, dataset, config, device, target);
    const SegmentationScores& scores = splitScores.whole;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double imagesPerSecond = static_cast<double>(dataset->size()) / seconds;
    if (!leads) return 0;
    const auto names = classNamesWithBackground(*dataset);
    std::cout << formatScoresTable(scores, names);

    const bool cam = scoresPseudoLabels(target.target);
    const std::vector<double> scales = cam ? std::vector<double>{1.0} : config.eval.scales;
    std::vector<std::pair<std::string, nlohmann::ordered_json>> fields = {
        {"split", split},
        {"target", targetWord},
        {"checkpoint", checkpoint},
        {"iteration", trained.iteration},
        {"scales", scales},
        {"flip", !cam && config.eval.flip},
        {"seconds", roundedToDecimals(seconds, 6)},
        {"images_per_second", roundedToDecimals(imagesPerSecond, 6)}};
    if (splitScores.boundary) {
      std::cout << formatBoundaryLine(*splitScores.boundary, target.boundaryBand);
      fields.push_back(boundaryField(*splitScores.boundary, names, target.boundaryBand));
    }
    const std::string metrics = jsonFileText(scoresJson(scores, names, fields));
    const std::string metricsPath = (std::filesystem::path(workDir) / "metrics.json").string();
    writeRunConfig(workDir, config);
    writeFileAtomically(metricsPath, metrics);
    logInfo("scored " + std::to_string(dataset->size()) + " images in " + std::to_string(seconds) +
            " s (" + std::to_string(imagesPerSecond) + " images/s on " + device.str() + ")");
    logInfo("wrote " + metricsPath);
    return 0;
  };
  return command;
}

}  // namespace wsss
