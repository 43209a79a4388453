// Scores the segmentation head on data.val_split every train.eval_interval steps and at the
// end; a new best mIoU writes best.pt (and last.pt, so a resumed run compares against it).
#include <sstream>

#include "core/atomic_file.h"
#include "core/logging.h"
#include "train/checkpoints/checkpoint_files.h"
#include "train/evaluation/network_evaluation.h"
#include "train/loop/training_hook.h"

namespace wsss {

namespace {

class EvaluationHook : public TrainingHook {
 public:
  std::string name() const override { return "evaluation"; }
  void afterStep(TrainingRun& run, const StepRecord& record) override {
    const int64_t every = run.config.train.evalInterval;
    if ((every > 0 && record.iteration % every == 0) ||
        record.iteration == run.config.train.iterations) {
      evaluate(run);
    }
  }

 private:
  static void evaluate(TrainingRun& run) {
    if (!run.valSet->hasMasks()) {
      logWarning("split '" + run.config.data.valSplit + "' has no masks: no evaluation");
      return;
    }
    // Under torchrun every rank scores its share of the split and the counts are summed.
    EvaluationTarget target;
    target.group = run.group;
    const SegmentationScores scores =
        evaluateNetwork(run.models, run.valSet, run.config, run.device, target).whole;
    const double miou = 100.0 * scores.meanIou;
    TrainingProgress& progress = run.progress;
    run.lastEvaluation = EvaluationSnapshot{progress.iteration, scores};
    std::ostringstream line;
    line.precision(2);
    line << std::fixed << "val mIoU " << miou << "% at iteration " << progress.iteration;
    const bool best = miou > progress.bestMetric;
    if (best) {
      progress.bestMetric = miou;
      progress.bestIteration = progress.iteration;
      line << " (best so far, saved best.pt)";
    } else {
      line << std::fixed << " (best " << progress.bestMetric << "% at " << progress.bestIteration
           << ")";
    }
    if (!run.leads()) return;
    // The metrics line goes first: a run killed before last.pt records this step resumes from
    // an earlier one, which drops the line and evaluates again; the other order could leave
    // last.pt past an evaluation whose line was never written.
    logInfo(line.str());
    run.log->recordEvaluation(progress.iteration,
                              {{"split", run.config.data.valSplit},
                               {"mIoU", miou},
                               {"pixel_accuracy", 100.0 * scores.pixelAccuracy}});
    if (best) {
      // best.pt before last.pt: a kill between them leaves last.pt before this step, so the
      // resumed run scores this step again and rewrites best.pt with the same weights.
      const std::string bytes = run.checkpointBytes();
      writeFileAtomically(bestCheckpointPath(run.workDir), bytes);
      writeFileAtomically(lastCheckpointPath(run.workDir), bytes);
    }
  }
};

}  // namespace

std::shared_ptr<TrainingHook> evaluationHook() { return std::make_shared<EvaluationHook>(); }

}  // namespace wsss
