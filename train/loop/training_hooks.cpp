// The list of the shipped hooks, in the order they run. A new hook is a file under
// train/loop/hooks/ defining its maker, declared and listed here.
#include <memory>

#include "core/atomic_file.h"
#include "train/checkpoints/checkpoint_files.h"
#include "train/distributed/process_group.h"
#include "train/loop/training_hook.h"

namespace wsss {

std::shared_ptr<TrainingHook> learningRateHook();   // hooks/learning_rate_hook.cpp
std::shared_ptr<TrainingHook> supportEmaHook();     // hooks/support_ema_hook.cpp
std::shared_ptr<TrainingHook> progressHook();       // hooks/progress_hook.cpp
std::shared_ptr<TrainingHook> checkpointHook();     // hooks/checkpoint_hook.cpp
std::shared_ptr<TrainingHook> evaluationHook();     // hooks/evaluation_hook.cpp
std::shared_ptr<TrainingHook> tensorBoardHook();    // hooks/tensorboard_hook.cpp
std::shared_ptr<TrainingHook> stopSignalHook();     // hooks/stop_signal_hook.cpp
std::shared_ptr<TrainingHook> endOfTrainingHook();  // hooks/end_of_training_hook.cpp

// Evaluation comes before the step's checkpoints: a run killed while it evaluates resumes from
// the checkpoint before and evaluates that step again, where a checkpoint written first would
// have let it resume past an evaluation that never finished (and a stale best metric).
TrainingHookList standardHooks() {
  return {learningRateHook(), supportEmaHook(),  progressHook(),   evaluationHook(),
          checkpointHook(),   tensorBoardHook(), stopSignalHook(), endOfTrainingHook()};
}

std::string TrainingRun::checkpointBytes() {
  return serializeCheckpoint(*models.network, optimizer.get(), progress, models.checkpointParts());
}

bool TrainingRun::leads() const { return !group || group->leads(); }

void TrainingRun::saveCheckpoints() {
  if (!leads()) return;
  const std::string bytes = checkpointBytes();
  if (config.train.keepCheckpoints > 0) {
    writeFileAtomically(iterationCheckpointPath(workDir, progress.iteration), bytes);
    pruneIterationCheckpoints(workDir, config.train.keepCheckpoints);
  }
  writeFileAtomically(lastCheckpointPath(workDir), bytes);
}

}  // namespace wsss
