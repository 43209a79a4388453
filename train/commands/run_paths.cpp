#include "train/commands/run_paths.h"

#include <filesystem>

#include "core/error.h"
#include "train/checkpoints/checkpoint_files.h"

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

void requireNoEarlierRun(const std::string& workDir) {
  const fs::path last = lastCheckpointPath(workDir);
  WSSS_CHECK(!fs::exists(last), "work dir ", workDir, " already holds a run (", last.string(),
             "): continue it with --resume, or name another --work-dir; a fresh run there "
             "would overwrite its checkpoints");
  std::error_code missing;
  for (const auto& entry : fs::directory_iterator(checkpointDir(workDir), missing)) {
    WSSS_CHECK(entry.path().extension() != ".pt", "work dir ", workDir, " already holds a run (",
               entry.path().string(), "): continue it with --resume ", entry.path().string(),
               ", or name another --work-dir; a fresh run there would overwrite its checkpoints");
  }
  const fs::path metrics = fs::path(workDir) / "metrics.jsonl";
  WSSS_CHECK(!fs::exists(metrics), "work dir ", workDir, " already holds the log of a run that ",
             "wrote no checkpoint (", metrics.string(), "): name another --work-dir, or delete ",
             "the folder to start over there");
}

}  // namespace wsss
