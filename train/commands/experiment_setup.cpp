#include "train/commands/experiment_setup.h"

#include "core/config/config_loader.h"
#include "core/error.h"

namespace wsss {

ExperimentConfig loadExperiment(const ParsedArguments& arguments) {
  WSSS_CHECK(arguments.has("config"),
             "missing --config FILE: name an experiment file, e.g. --config configs/toy/base.yaml");
  return readConfig<ExperimentConfig>(arguments.text("config"), arguments.overrides());
}

std::string experimentOptionsHelp() { return describeConfig<ExperimentConfig>(); }

}  // namespace wsss
