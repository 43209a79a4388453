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
  // Without last.pt, the newest iter_*.pt (zero-padded, so the greatest name) continues it;
  // best.pt would go back to an earlier step.
  std::error_code missing;
  fs::path newest;
  for (const auto& entry : fs::directory_iterator(checkpointDir(workDir), missing)) {
    const fs::path& file = entry.path();
    if (file.extension() != ".pt") continue;
    const bool periodic = file.filename().string().rfind("iter_", 0) == 0;
    const bool newestPeriodic = newest.filename().string().rfind("iter_", 0) == 0;
    if (newest.empty() || (periodic && (!newestPeriodic || file.filename() > newest.filename()))) {
      newest = file;
    }
  }
  WSSS_CHECK(newest.empty(), "work dir ", workDir, " already holds a run (", newest.string(),
             "): continue it with --resume ", newest.string(),
             ", or name another --work-dir; a fresh run there would overwrite its checkpoints");
  const fs::path metrics = fs::path(workDir) / "metrics.jsonl";
  WSSS_CHECK(!fs::exists(metrics), "work dir ", workDir, " already holds the log of a run that ",
             "wrote no checkpoint (", metrics.string(), "): name another --work-dir, or delete ",
             "the folder to start over there");
}

}  // namespace wsss
