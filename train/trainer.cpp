#include "train/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include "core/atomic_file.h"
#include "core/config/config_loader.h"
#include "core/error.h"
#include "core/logging.h"
#include "data/data_loader.h"
#include "data/voc_dataset.h"
#include "train/checkpoint.h"
#include "train/checkpoint_files.h"
#include "train/config_difference.h"
#include "train/device_batch.h"
#include "train/evaluation_report.h"
#include "train/lr_schedule.h"
#include "train/network_evaluation.h"
#include "train/optimizer_factory.h"
#include "train/progress_log.h"
#include "train/pseudo_label_folder.h"
#include "train/run_device.h"
#include "train/stop_signal.h"
#include "train/training_models.h"
#include "train/training_step.h"

namespace wsss {

namespace {

// Throws before the optimiser step, so nothing of a step with a non-finite loss is kept.
void requireFiniteLosses(const StepRecord& record) {
  std::ostringstream terms;
  bool finite = true;
  for (const auto& [name, value] : record.losses) {
    finite = finite && std::isfinite(value);
    terms << (terms.tellp() > 0 ? ", " : "") << name << " = " << value;
  }
  if (finite) return;
  throw Error("non-finite loss at iteration " + std::to_string(record.iteration) + ": " +
              terms.str() +
              ". Training stopped; the checkpoints already written are intact. Lower train.lr, "
              "check the data with `wsss data-check`, or resume from the last checkpoint");
}

class Trainer {
 public:
  explicit Trainer(const TrainingRequest& request);
  int run();

 private:
  void resume(const std::string& path);
  void setLearningRate(int64_t step);
  StepRecord step(const Batch& batch);
  void saveCheckpoints();
  void evaluate();

  ExperimentConfig config_;
  std::string workDir_;
  torch::Device device_;
  std::shared_ptr<const VocDataset> trainSet_;
  std::shared_ptr<const VocDataset> valSet_;
  TrainingModels models_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::unique_ptr<DataLoader> loader_;
  TrainingProgress progress_;
  std::unique_ptr<ProgressLog> log_;
  bool resumed_ = false;
  double lastLr_ = 0;
};

Trainer::Trainer(const TrainingRequest& request)
    : config_(request.config), workDir_(request.workDir), device_(resolveDevice(config_.device)) {
  useDeterministicAlgorithms(config_.train.deterministic);
  WSSS_CHECK(!config_.model.isResNet() || config_.train.batchSize >= 2,
             "train.batch_size is 1, but a ResNet backbone's segmentation head has BatchNorm "
             "(ASPP image pooling), which needs at least 2 images per step: set "
             "train.batch_size >= 2 or model.backbone: scratch");
  if (config_.model.isResNet() && config_.model.batchNorm == "frozen" &&
      config_.model.pretrained.empty() && request.resumeFrom.empty()) {
    logWarning(
        "model.batch_norm is frozen but model.pretrained is empty: BatchNorm keeps its "
        "initial statistics and the activations of a random ResNet grow without bound. "
        "Load weights (README, \"Pretrained weights\") or set model.batch_norm: trainable");
  }
  if (config_.train.threads > 0) torch::set_num_threads(static_cast<int>(config_.train.threads));
  trainSet_ =
      std::make_shared<const VocDataset>(trainingDataOptions(config_), config_.data.trainSplit);
  WSSS_CHECK(trainSet_->size() > 0, "the training split ", trainSet_->splitPath(), " is empty");
  checkPseudoLabelFolder(config_, *trainSet_);
  valSet_ = std::make_shared<const VocDataset>(config_.data, config_.data.valSplit);

  // The initial weights come from the seed alone, so two runs of one config start alike.
  torch::manual_seed(static_cast<uint64_t>(config_.seed));
  // A resumed run takes every weight from its checkpoint; the pretrained file is not needed.
  models_ =
      buildTrainingModels(config_, trainSet_->numClasses(), device_, request.resumeFrom.empty());
  optimizer_ = makeOptimizer(models_.network, config_.train);
  loader_ = std::make_unique<DataLoader>(
      trainSet_, loaderOptionsFor(config_.data, config_.train.batchSize, true,
                                  static_cast<uint64_t>(config_.seed)));
  progress_.sampler = loader_->state();
  progress_.configYaml = experimentYaml(config_);
  if (!request.resumeFrom.empty()) resume(request.resumeFrom);
  writeRunConfig(workDir_, config_);
}

void Trainer::resume(const std::string& path) {
  const TrainingProgress saved = readCheckpointProgress(path);
  const auto savedConfig = readConfigText<ExperimentConfig>(saved.configYaml, "checkpoint " + path);
  const ConfigComparison changes = compareConfigs(savedConfig, config_);
  WSSS_CHECK(changes.network.empty(), "cannot resume from ", path,
             ": the config changes the network: ", describeChanges(changes.network),
             ". Resume with the checkpoint's settings or start a new work dir");
  if (!changes.other.empty()) {
    logWarning("resuming with changed settings: " + describeChanges(changes.other));
  }
  // A part the checkpoint lacks (a run resumed with SupportNet or RCM's memory newly switched
  // on) starts as a fresh run would: SupportNet as a copy of MainNet, the memory empty.
  std::vector<CheckpointPart> parts;
  bool supportSaved = false;
  for (const CheckpointPart& part : models_.checkpointParts()) {
    if (checkpointHasPart(path, part.name)) {
      parts.push_back(part);
      supportSaved = supportSaved || part.name == "support";
    } else {
      logWarning("checkpoint " + path + " has no '" + part.name + "'; it starts afresh");
    }
  }
  progress_ = loadCheckpoint(path, *models_.network, optimizer_.get(), true, parts);
  // SupportNet was built as a copy of the fresh MainNet; without saved weights it follows the
  // loaded one.
  if (models_.support && !supportSaved) models_.support->resetToMain();
  progress_.configYaml = experimentYaml(config_);
  WSSS_CHECK(progress_.iteration <= config_.train.iterations, "checkpoint ", path, " is at step ",
             progress_.iteration, ", past train.iterations = ", config_.train.iterations);
  loader_->restore(progress_.sampler);
  resumed_ = true;
  logInfo("resumed from " + path + " at iteration " + std::to_string(progress_.iteration));
}

void Trainer::setLearningRate(int64_t step) {
  const double factor = learningRateFactor(step, config_.train);
  const double scales[] = {1.0, config_.train.headLrScale};
  auto& groups = optimizer_->param_groups();
  for (size_t index = 0; index < groups.size(); ++index) {
    groups[index].options().set_lr(config_.train.lr * scales[index] * factor);
  }
  lastLr_ = config_.train.lr * factor;
}

StepRecord Trainer::step(const Batch& cpuBatch) {
  const auto start = std::chrono::steady_clock::now();
  const int64_t stepIndex = progress_.iteration;
  setLearningRate(stepIndex);
  const Batch batch = batchToDevice(cpuBatch, device_, config_.train.channelsLast);
  const LossTerms losses = forwardLosses(models_, batch, config_, stepIndex, device_);
  StepRecord record;
  record.iteration = stepIndex + 1;
  record.losses = lossValues(losses);
  requireFiniteLosses(record);
  optimizer_->zero_grad();
  losses.total.backward();
  optimizer_->step();
  models_.afterOptimizerStep();
  record.lr = lastLr_;
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  record.imagesPerSecond = static_cast<double>(batch.size()) / elapsed.count();
  return record;
}

void Trainer::saveCheckpoints() {
  const std::string bytes =
      serializeCheckpoint(*models_.network, optimizer_.get(), progress_, models_.checkpointParts());
  if (config_.train.keepCheckpoints > 0) {
    writeFileAtomically(iterationCheckpointPath(workDir_, progress_.iteration), bytes);
    pruneIterationCheckpoints(workDir_, config_.train.keepCheckpoints);
  }
  writeFileAtomically(lastCheckpointPath(workDir_), bytes);
}

void Trainer::evaluate() {
  if (!valSet_->hasMasks()) {
    logWarning("split '" + config_.data.valSplit + "' has no masks: no evaluation");
    return;
  }
  EvaluationTarget target;
  const SegmentationScores scores = evaluateNetwork(models_, valSet_, config_, device_, target);
  const double miou = 100.0 * scores.meanIou;
  std::ostringstream line;
  line.precision(2);
  line << std::fixed << "val mIoU " << miou << "% at iteration " << progress_.iteration;
  if (miou > progress_.bestMetric) {
    progress_.bestMetric = miou;
    progress_.bestIteration = progress_.iteration;
    const std::string bytes = serializeCheckpoint(*models_.network, optimizer_.get(), progress_,
                                                  models_.checkpointParts());
    writeFileAtomically(bestCheckpointPath(workDir_), bytes);
    // last.pt carries the best metric too, so a resumed run compares against it.
    writeFileAtomically(lastCheckpointPath(workDir_), bytes);
    line << " (best so far, saved best.pt)";
  } else {
    line << std::fixed << " (best " << progress_.bestMetric << "% at " << progress_.bestIteration
         << ")";
  }
  logInfo(line.str());
  log_->recordEvaluation(progress_.iteration, {{"split", config_.data.valSplit},
                                               {"mIoU", miou},
                                               {"pixel_accuracy", 100.0 * scores.pixelAccuracy}});
}

int Trainer::run() {
  const int64_t total = config_.train.iterations;
  const std::string metricsPath = (std::filesystem::path(workDir_) / "metrics.jsonl").string();
  log_ = std::make_unique<ProgressLog>(metricsPath, total, resumed_ ? progress_.iteration : -1);
  StopSignal stop;
  logInfo("training " + std::to_string(total) + " iterations on " + device_.str() + " in " +
          workDir_ + " (" + std::to_string(trainSet_->size()) + " training images, " +
          std::to_string(trainSet_->numClasses()) + " classes)");
  while (progress_.iteration < total) {
    std::optional<Batch> batch = loader_->next();
    WSSS_CHECK(batch.has_value(), "the training loader ran dry at iteration ", progress_.iteration);
    const StepRecord record = step(*batch);
    progress_.iteration = record.iteration;
    progress_.sampler = loader_->state();
    log_->recordStep(record);
    if (record.iteration % config_.train.logInterval == 0 || record.iteration == total ||
        record.iteration == 1) {
      logInfo(log_->progressLine(record));
    }
    // Checkpoint before evaluation: a failing evaluation never costs trained steps.
    if (record.iteration % config_.train.checkpointInterval == 0 || record.iteration == total) {
      saveCheckpoints();
    }
    const int64_t every = config_.train.evalInterval;
    if ((every > 0 && record.iteration % every == 0) || record.iteration == total) evaluate();
    if (stop.received() != 0 && record.iteration < total) {
      saveCheckpoints();
      logWarning("stopped by signal " + std::to_string(stop.received()) + " at iteration " +
                 std::to_string(record.iteration) + "; saved " + lastCheckpointPath(workDir_) +
                 " (continue with --resume)");
      return 128 + stop.received();
    }
  }
  logInfo("done: " + std::to_string(total) + " iterations; checkpoints in " +
          checkpointDir(workDir_));
  return 0;
}

}  // namespace

int runTraining(const TrainingRequest& request) {
  Trainer trainer(request);
  try {
    return trainer.run();
  } catch (...) {
    // The end-of-training hook: whatever stopped the run, say where it can continue from.
    const std::string last = lastCheckpointPath(request.workDir);
    if (std::filesystem::exists(last)) {
      std::string iteration = "unreadable";
      try {
        iteration = std::to_string(readCheckpointProgress(last).iteration);
      } catch (const Error&) {
        // The original error matters more than this one.
      }
      logError("training stopped; the newest checkpoint is " + last + " (iteration " + iteration +
               "), --resume continues it");
    } else {
      logError("training stopped before its first checkpoint; nothing to resume");
    }
    throw;
  }
}

}  // namespace wsss
