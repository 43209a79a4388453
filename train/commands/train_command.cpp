#include <filesystem>

#include "core/config/config_loader.h"
#include "core/error.h"
#include "train/checkpoints/checkpoint.h"
#include "train/checkpoints/checkpoint_files.h"
#include "train/commands/commands.h"
#include "train/commands/experiment_setup.h"
#include "train/commands/run_paths.h"
#include "train/loop/trainer.h"

namespace wsss {

namespace {

// --resume alone continues the work dir's last.pt; --resume FILE continues FILE.
std::string resumeCheckpoint(const ParsedArguments& arguments, const std::string& workDir) {
  if (!arguments.has("resume")) return "";
  const std::string given = arguments.text("resume");
  if (!given.empty()) return given;
  const std::string last = lastCheckpointPath(workDir);
  WSSS_CHECK(std::filesystem::exists(last), "--resume: ", last,
             " does not exist; name a checkpoint (--resume FILE) or the run's --work-dir");
  return last;
}

}  // namespace

Command trainCommand() {
  Command command;
  command.name = "train";
  command.summary = "train the network; --resume continues a stopped run exactly";
  FlagSpec resume{"resume", "CKPT", "continue from CKPT (default: <work-dir>/checkpoints/last.pt)"};
  resume.optionalValue = true;
  command.flags = {configFlag(),
                   workDirFlag("run folder: config.yaml, metrics.jsonl, checkpoints/ (default "
                               "runs/<config folder>-<config name>)"),
                   resume};
  command.acceptsOverrides = true;
  command.run = [](const ParsedArguments& arguments) {
    const std::string givenResume = arguments.text("resume");
    std::string workDir = arguments.text("work-dir");
    if (workDir.empty()) {
      if (!givenResume.empty()) {
        workDir = runDirOfCheckpoint(givenResume);
      } else {
        WSSS_CHECK(arguments.has("config"),
                   "missing --config FILE: name an experiment file, "
                   "e.g. --config configs/toy/baseline.yaml");
        workDir = defaultWorkDir(arguments.text("config"));
      }
    }
    TrainingRequest request;
    request.workDir = workDir;
    request.resumeFrom = resumeCheckpoint(arguments, workDir);
    if (request.resumeFrom.empty()) requireNoEarlierRun(workDir);
    if (arguments.has("config")) {
      request.config = loadExperiment(arguments);
    } else {
      // Resuming without --config: the checkpoint's own config, plus any overrides.
      WSSS_CHECK(!request.resumeFrom.empty(),
                 "missing --config FILE: name an experiment file, "
                 "e.g. --config configs/toy/baseline.yaml");
      request.config = readConfigText<ExperimentConfig>(
          readCheckpointProgress(request.resumeFrom).configYaml, "checkpoint " + request.resumeFrom,
          arguments.overrides());
    }
    request.group = joinLaunchedJob(request.config);
    return runTraining(request);
  };
  return command;
}

}  // namespace wsss
