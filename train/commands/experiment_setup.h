#pragma once
// What every config-driven command does first: read the experiment, pick the run folder.
#include <string>

#include "train/command_line.h"
#include "train/experiment_config.h"

namespace wsss {

// --config FILE plus key=value overrides, strictly checked.
ExperimentConfig loadExperiment(const ParsedArguments& arguments);

// The effective config of `config` as YAML text.
std::string experimentYaml(const ExperimentConfig& config);

// Writes <workDir>/config.yaml (creating the folder) and returns its path.
std::string writeRunConfig(const std::string& workDir, const ExperimentConfig& config);

// The listing of every config key, for --help.
std::string experimentOptionsHelp();

}  // namespace wsss
