#include "train/commands/experiment_setup.h"

#include "core/config/config_loader.h"
#include "core/error.h"
#include "train/checkpoints/checkpoint.h"
#include "train/checkpoints/config_difference.h"

namespace wsss {

ExperimentConfig loadExperiment(const ParsedArguments& arguments) {
  WSSS_CHECK(arguments.has("config"),
             "missing --config FILE: name an experiment file, e.g. --config configs/toy/base.yaml");
  return readConfig<ExperimentConfig>(arguments.text("config"), arguments.overrides());
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

std::string experimentOptionsHelp() { return describeConfig<ExperimentConfig>(); }

}  // namespace wsss
