#include "train/commands/run_paths.h"

#include <filesystem>

namespace wsss {

namespace fs = std::filesystem;

std::string defaultWorkDir(const std::string& configPath) {
  const fs::path path(configPath);
  const std::string folder = path.parent_path().filename().string();
  const std::string name = path.stem().string();
  return (fs::path("runs") / (folder.empty() || folder == "configs" ? name : folder + "-" + name))
      .string();
}

std::string runDirOfCheckpoint(const std::string& checkpointPath) {
  const fs::path folder = fs::path(checkpointPath).parent_path();
  if (folder.filename() == "checkpoints") return folder.parent_path().string();
  return folder.empty() ? std::string(".") : folder.string();
}

}  // namespace wsss
