#pragma once
// What every config-driven command does first: read the experiment from --config and the
// overrides. (Writing it into a run folder is writeRunConfig, in experiment_config.h.)
#include <memory>
#include <string>

#include "train/commands/command_line.h"
#include "train/experiment_config.h"

namespace wsss {

// --config FILE plus key=value overrides, strictly checked.
ExperimentConfig loadExperiment(const ParsedArguments& arguments);

class DistributedGroup;

// Under torchrun (its variables set), joins the job's other ranks (docs/distributed.md); the
// ranks but 0 then log only warnings and errors, so the job's output reads as one run's.
// Null without torchrun: a single process.
std::shared_ptr<DistributedGroup> joinLaunchedJob(const ExperimentConfig& config);

struct TrainingProgress;

// Throws wsss::Error unless the network the checkpoint was trained as (its stored config)
// agrees with `config`'s model keys, naming the keys that differ.
void checkModelMatches(const std::string& checkpoint, const TrainingProgress& progress,
                       const ExperimentConfig& config);

class CheckpointFile;
struct TrainingModels;

// Loads a trained network from `file` for making pseudo-labels with pseudo.source: the network,
// and SupportNet's own weights when the source reads them (support.mode ema). Throws
// wsss::Error, before anything is loaded, when the source needs a model `models` lacks
// (checkPseudoSourceModels), and naming the checkpoint when its weights are not in it.
void loadForPseudoLabels(CheckpointFile& file, TrainingModels& models,
                         const ExperimentConfig& config);

// The listing of every config key, for --help.
std::string experimentOptionsHelp();

}  // namespace wsss
