#include "train/commands/experiment_setup.h"

#include <filesystem>

#include "core/atomic_file.h"
#include "core/config/config_loader.h"
#include "core/error.h"

namespace wsss {

ExperimentConfig loadExperiment(const ParsedArguments& arguments) {
  WSSS_CHECK(arguments.has("config"),
             "missing --config FILE: name an experiment file, e.g. --config configs/toy/base.yaml");
  return readConfig<ExperimentConfig>(arguments.text("config"), arguments.overrides());
}

std::string experimentYaml(const ExperimentConfig& config) {
  ExperimentConfig copy = config;
  return configToYaml(copy);
}

std::string writeRunConfig(const std::string& workDir, const ExperimentConfig& config) {
  const std::string path = (std::filesystem::path(workDir) / "config.yaml").string();
  writeFileAtomically(path, experimentYaml(config));
  return path;
}

std::string experimentOptionsHelp() { return describeConfig<ExperimentConfig>(); }

}  // namespace wsss
