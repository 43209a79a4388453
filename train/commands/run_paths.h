#pragma once
// Where train and eval put their files when --work-dir is not given.
#include <string>

namespace wsss {

// runs/<config folder>-<config name>: configs/toy/baseline.yaml -> runs/toy-baseline.
std::string defaultWorkDir(const std::string& configPath);

// The run folder a checkpoint belongs to: <run>/checkpoints/last.pt -> <run>.
std::string runDirOfCheckpoint(const std::string& checkpointPath);

}  // namespace wsss
