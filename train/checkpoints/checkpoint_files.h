#pragma once
// The names and rotation of a run's checkpoint files under <work-dir>/checkpoints/.
#include <cstdint>
#include <string>

namespace wsss {

std::string checkpointDir(const std::string& workDir);
std::string lastCheckpointPath(const std::string& workDir);  // last.pt
std::string bestCheckpointPath(const std::string& workDir);  // best.pt
std::string iterationCheckpointPath(const std::string& workDir,
                                    int64_t iteration);  // iter_NNNNNN.pt

// Removes all but the `keep` newest iter_NNNNNN.pt files.
void pruneIterationCheckpoints(const std::string& workDir, int64_t keep);

}  // namespace wsss
