#include <filesystem>
#include <iostream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/data_check.h"
#include "train/commands/commands.h"
#include "train/commands/experiment_setup.h"
#include "train/pseudo/pseudo_label_folder.h"

namespace wsss {

Command dataCheckCommand() {
  Command command;
  command.name = "data-check";
  command.summary =
      "check every image of the configured splits as the run reads them; exit 0 only when clean";
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
    // The training split is read with the saliency maps and clicks its methods read; every
    // other split as evaluation reads it.
    const DataNeeds trainingNeeds = trainingDataOptions(config).needs;
    std::vector<SplitToCheck> checks;
    for (const std::string& split : splits) {
      checks.push_back({split, config.data});
      if (split == config.data.trainSplit) checks.back().options.needs = trainingNeeds;
    }
    const DataCheckReport report = checkDataset(checks);
    const std::string text = formatDataCheckReport(report);
    std::cout << text;
    if (arguments.has("work-dir")) {
      const std::string workDir = arguments.text("work-dir");
      writeRunConfig(workDir, config);
      writeFileAtomically((std::filesystem::path(workDir) / "data_check.txt").string(), text);
    }
    if (report.clean()) return 0;
    // The report went to stdout; the error line says what failed, by kind with its first id
    // and file, for a log that keeps only stderr.
    std::ostringstream kinds;
    for (const auto& [kind, problems] : report.problems) {
      kinds << (kinds.tellp() > 0 ? ", " : "") << problemKindName(kind) << " x"
            << problems.size() << " (first " << problems.front().id << ": "
            << problems.front().file << ")";
    }
    WSSS_FAIL("the data under ", report.root, " is not clean: ", kinds.str(),
              "; fix each problem the report lists and run data-check again");
  };
  return command;
}

}  // namespace wsss
