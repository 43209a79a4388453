#include <filesystem>
#include <iostream>

#include "core/atomic_file.h"
#include "data/data_check.h"
#include "train/commands/commands.h"
#include "train/commands/experiment_setup.h"

namespace wsss {

Command dataCheckCommand() {
  Command command;
  command.name = "data-check";
  command.summary = "check every image of the configured splits; exit 0 only when clean";
  command.flags = {
      configFlag(),
      workDirFlag("also write config.yaml and the report (data_check.txt) here"),
      {"split", "NAME", "check only this split (default: data.train_split and data.val_split)"}};
  command.acceptsOverrides = true;
  command.run = [](const ParsedArguments& arguments) {
    const ExperimentConfig config = loadExperiment(arguments);
    std::vector<std::string> splits;
    if (arguments.has("split")) {
      splits.push_back(arguments.text("split"));
    } else {
      splits.push_back(config.data.trainSplit);
      if (config.data.valSplit != config.data.trainSplit) splits.push_back(config.data.valSplit);
    }
    const DataCheckReport report = checkDataset(config.data, splits);
    const std::string text = formatDataCheckReport(report);
    std::cout << text;
    if (arguments.has("work-dir")) {
      const std::string workDir = arguments.text("work-dir");
      writeRunConfig(workDir, config);
      writeFileAtomically((std::filesystem::path(workDir) / "data_check.txt").string(), text);
    }
    return report.clean() ? 0 : 1;
  };
  return command;
}

}  // namespace wsss
