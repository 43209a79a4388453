#include "train/commands/experiment_setup.h"

#include "core/config/config_loader.h"
#include "core/error.h"
#include "core/logging.h"
#include "train/checkpoints/checkpoint.h"
#include "train/checkpoints/config_difference.h"
#include "train/distributed/launch_environment.h"
#include "train/distributed/process_group.h"
#include "train/pseudo/network_pseudo_targets.h"
#include "train/pseudo/pseudo_label_sources.h"
#include "train/run_device.h"
#include "train/training_models.h"

namespace wsss {

ExperimentConfig loadExperiment(const ParsedArguments& arguments) {
  WSSS_CHECK(arguments.has("config"),
             "missing --config FILE: name an experiment file, e.g. --config configs/toy/base.yaml");
  return readConfig<ExperimentConfig>(arguments.text("config"), arguments.overrides());
}

std::shared_ptr<DistributedGroup> joinLaunchedJob(const ExperimentConfig& config) {
  const auto launch = readLaunchEnvironment(processEnvironment());
  if (!launch) return nullptr;
  auto group =
      DistributedGroup::join(*launch, config.train.distributed, resolveDevice(config.device));
  if (!group->leads()) setLogLevel(LogLevel::Warning);
  logInfo("rank " + std::to_string(group->rank()) + " of " + std::to_string(group->worldSize()) + " (" +
          std::to_string(launch->localWorldSize) + " on this node), " +
          choiceName(group->backend()) + " on " + group->device().str());
  return group;
}

void checkModelMatches(const std::string& checkpoint, const TrainingProgress& progress,
                       const ExperimentConfig& config) {
  const auto trained =
      readConfigText<ExperimentConfig>(progress.configYaml, "checkpoint " + checkpoint);
  const std::vector<ConfigChange> networkChanges = compareConfigs(trained, config).network;
  WSSS_CHECK(networkChanges.empty(), "checkpoint ", checkpoint,
             " was trained with another network: ", describeChanges(networkChanges),
             ". Use the config it was trained with");
}

void loadForPseudoLabels(CheckpointFile& file, TrainingModels& models,
                         const ExperimentConfig& config) {
  checkPseudoSourceModels(models, config);
  std::vector<CheckpointPart> parts;
  const bool supportLabels = pseudoLabelSource(config.pseudo.source).readsSupport;
  if (supportLabels && models.support && models.support->ownWeights()) {
    WSSS_CHECK(file.hasPart("support"), "checkpoint ", file.path(),
               " has no SupportNet weights, so pseudo.source: support cannot be used; the run "
               "was trained with support.mode ",
               choiceName(readConfigText<ExperimentConfig>(file.progress().configYaml, file.path())
                              .support.mode));
    parts.push_back({"support", models.support->ownWeights()});
  }
  file.load(*models.network, nullptr, false, parts);
}

std::string experimentOptionsHelp() { return describeConfig<ExperimentConfig>(); }

}  // namespace wsss
