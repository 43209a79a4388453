#include "train/checkpoints/checkpoint_files.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

namespace wsss {

namespace fs = std::filesystem;

std::string checkpointDir(const std::string& workDir) {
  return (fs::path(workDir) / "checkpoints").string();
}

std::string lastCheckpointPath(const std::string& workDir) {
  return (fs::path(checkpointDir(workDir)) / "last.pt").string();
}

std::string bestCheckpointPath(const std::string& workDir) {
  return (fs::path(checkpointDir(workDir)) / "best.pt").string();
}

std::string iterationCheckpointPath(const std::string& workDir, int64_t iteration) {
  char name[32];
  std::snprintf(name, sizeof name, "iter_%06lld.pt", static_cast<long long>(iteration));
  return (fs::path(checkpointDir(workDir)) / name).string();
}

void pruneIterationCheckpoints(const std::string& workDir, int64_t keep) {
  std::vector<fs::path> files;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(checkpointDir(workDir), ignored)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("iter_", 0) == 0 && entry.path().extension() == ".pt") {
      files.push_back(entry.path());
    }
  }
  // Zero-padded numbers sort by name in step order.
  std::sort(files.begin(), files.end());
  const int64_t excess = static_cast<int64_t>(files.size()) - keep;
  for (int64_t index = 0; index < excess; ++index) fs::remove(files[index], ignored);
}

}  // namespace wsss
