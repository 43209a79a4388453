#pragma once
// Where train and eval put their files when --work-dir is not given.
#include <string>

namespace wsss {

// runs/<config folder>-<config name>: configs/toy/baseline.yaml -> runs/toy-baseline.
std::string defaultWorkDir(const std::string& configPath);

// The run folder a checkpoint belongs to: <run>/checkpoints/last.pt -> <run>.
std::string runDirOfCheckpoint(const std::string& checkpointPath);

// Throws wsss::Error when `workDir` already holds a run (its metrics.jsonl or a checkpoint): a
// fresh run there would append to its log and overwrite its checkpoints. The message says to
// continue it with --resume, or to name another --work-dir.
void requireNoEarlierRun(const std::string& workDir);

}  // namespace wsss
