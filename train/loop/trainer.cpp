#include "train/loop/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <sstream>

#include "core/config/config_loader.h"
#include "core/error.h"
#include "core/logging.h"
#include "train/checkpoints/checkpoint.h"
#include "train/checkpoints/checkpoint_files.h"
#include "train/checkpoints/config_difference.h"
#include "train/device_batch.h"
#include "models/sync_batch_norm.h"
#include "train/distributed/batch_share.h"
#include "train/distributed/gradient_reducer.h"
#include "train/distributed/process_group.h"
#include "train/loop/optimizer_factory.h"
#include "train/pseudo/pseudo_label_folder.h"
#include "train/run_device.h"
#include "train/step/training_step.h"

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

// Where the checkpoint at `damaged` cannot be read: the newest readable iter_*.pt or last.pt
// of its folder, as a sentence to append to the error ("" when there is none). Every candidate
// is opened to read its iteration, which costs time on that error path only.
std::string intactCheckpointBeside(const std::string& damaged) {
  namespace fs = std::filesystem;
  std::error_code ignored;
  std::vector<fs::path> candidates;
  for (const auto& entry : fs::directory_iterator(fs::path(damaged).parent_path(), ignored)) {
    const std::string name = entry.path().filename().string();
    if ((name.rfind("iter_", 0) == 0 || name == "last.pt") && entry.path().extension() == ".pt" &&
        !fs::equivalent(entry.path(), damaged, ignored)) {
      candidates.push_back(entry.path());
    }
  }
  std::string best;
  int64_t bestIteration = -1;
  for (const fs::path& candidate : candidates) {
    try {
      const int64_t iteration = readCheckpointProgress(candidate.string()).iteration;
      if (iteration > bestIteration) {
        best = candidate.string();
        bestIteration = iteration;
      }
    } catch (const Error&) {
      // damaged too: not a candidate
    }
  }
  if (best.empty()) return "";
  return ". The newest intact checkpoint beside it is " + best + " (iteration " +
         std::to_string(bestIteration) + "): continue from it with --resume " + best;
}

class Trainer {
 public:
  explicit Trainer(const TrainingRequest& request);
  int run();

 private:
  void resume(const std::string& path);
  // Under torchrun: every rank starts from rank 0's weights and buffers.
  void startFromLeader();
  // Under torchrun: the gradient buckets, and BatchNorm over the global batch where asked.
  void joinRanks();
  // Under torchrun without model.sync_batch_norm: BatchNorm's running statistics, which each
  // rank's share moves its own way, are rank 0's again after every step (as
  // DistributedDataParallel's broadcast_buffers does), so SupportNet's copy and the
  // checkpoints agree on every rank.
  void shareRunningStatistics();
  StepRecord step(const Batch& batch);
  // Under torchrun: each term's value averaged over the ranks (the global batch's loss where a
  // term is a mean over the global batch).
  void averageOverRanks(StepRecord& record);
  // Runs every hook's atEnd; with `failed`, a hook that throws does not hide the first error.
  void endRun(bool failed);

  TrainingRun run_;
  LossTermList terms_;
  TrainingHookList hooks_;
  TrainingHookList extraHooks_;
  BatchReduction batchReduction_;  // over the ranks under torchrun
  std::unique_ptr<GradientReducer> gradientReducer_;  // under torchrun
  std::vector<torch::Tensor> runningStatistics_;      // shared after every step, or empty
};

Trainer::Trainer(const TrainingRequest& request)
    : terms_(request.lossTerms), extraHooks_(request.extraHooks) {
  TrainingRun& run = run_;
  run.config = request.config;
  run.workDir = request.workDir;
  run.group = request.group;
  const ExperimentConfig& config = run.config;
  // A rank of a CUDA job trains on the GPU of its LOCAL_RANK.
  run.device = run.group ? run.group->device() : resolveDevice(config.device);
  if (run.group) {
    WSSS_CHECK(config.train.batchSize % run.group->worldSize() == 0, "train.batch_size = ",
               config.train.batchSize, " does not split over ", run.group->worldSize(),
               " ranks: the batch is global and each rank takes an equal share; make it a "
               "multiple of the number of ranks");
    WSSS_CHECK(!config.model.isResNet() || config.model.syncBatchNorm ||
                   config.train.batchSize / run.group->worldSize() >= 2,
               "train.batch_size = ", config.train.batchSize, " over ", run.group->worldSize(),
               " ranks leaves one image per rank, but a ResNet backbone's segmentation head "
               "has BatchNorm (ASPP image pooling), which needs at least 2 images: set "
               "model.sync_batch_norm: true (statistics over the global batch) or raise "
               "train.batch_size");
  }
  useDeterministicAlgorithms(config.train.deterministic);
  WSSS_CHECK(!config.model.isResNet() || config.train.batchSize >= 2,
             "train.batch_size is 1, but a ResNet backbone's segmentation head has BatchNorm "
             "(ASPP image pooling), which needs at least 2 images per step: set "
             "train.batch_size >= 2 or model.backbone: scratch");
  if (config.model.isResNet() && config.model.batchNorm == BatchNormMode::Frozen &&
      config.model.pretrained.empty() && request.resumeFrom.empty()) {
    logWarning(
        "model.batch_norm is frozen but model.pretrained is empty: BatchNorm keeps its "
        "initial statistics and the activations of a random ResNet grow without bound. "
        "Load weights (README, \"Pretrained weights\") or set model.batch_norm: trainable");
  }
  if (config.train.threads > 0) torch::set_num_threads(static_cast<int>(config.train.threads));
  run.trainSet = std::make_shared<const VocDataset>(trainingDataOptions(config, terms_),
                                                    config.data.trainSplit);
  WSSS_CHECK(run.trainSet->size() > 0, "the training split ", run.trainSet->splitPath(),
             " is empty: list the training image ids in it, one per line, or name another "
             "split with data.train_split");
  checkPseudoLabelFolder(config, *run.trainSet);
  run.valSet = std::make_shared<const VocDataset>(config.data, config.data.valSplit);

  // The initial weights come from the seed alone, so two runs of one config start alike.
  torch::manual_seed(static_cast<uint64_t>(config.seed));
  // A resumed run takes every weight from its checkpoint; the pretrained file is not needed.
  run.models = buildTrainingModels(config, run.trainSet->numClasses(), run.device,
                                   request.resumeFrom.empty());
  run.optimizer = makeOptimizer(run.models.network, config.train);
  run.loader = std::make_unique<DataLoader>(
      run.trainSet, loaderOptionsFor(config.data, config.train.batchSize, true,
                                     static_cast<uint64_t>(config.seed)));
  run.progress.sampler = run.loader->state();
  run.progress.configYaml = experimentYaml(config);
  if (!request.resumeFrom.empty()) resume(request.resumeFrom);
  if (run.group) {
    startFromLeader();
    joinRanks();
    std::shared_ptr<DistributedGroup> group = run.group;
    batchReduction_.ranks = group->worldSize();
    batchReduction_.rank = group->rank();
    // Summed in float64, which holds any count of pixels exactly, and given back as it came.
    batchReduction_.sumOverRanks = [group](const torch::Tensor& tensor) {
      torch::Tensor sum = tensor.to(torch::kFloat64).clone();
      group->allReduceSum({sum});
      return sum.to(tensor.device(), tensor.scalar_type());
    };
  }
  if (run.leads()) writeRunConfig(run.workDir, config);
}

void Trainer::startFromLeader() {
  std::vector<torch::Tensor> state;
  const auto add = [&state](torch::nn::Module& module) {
    for (const torch::Tensor& parameter : module.parameters()) state.push_back(parameter);
    for (const torch::Tensor& buffer : module.buffers()) state.push_back(buffer);
  };
  add(*run_.models.network);
  if (run_.models.support && run_.models.support->ownWeights()) {
    add(*run_.models.support->ownWeights());
  }
  if (run_.models.memory) add(*run_.models.memory);
  run_.group->broadcast(state, 0);
}

void Trainer::joinRanks() {
  TrainingRun& run = run_;
  gradientReducer_ = std::make_unique<GradientReducer>(
      run.group, run.models.network->parameters(),
      static_cast<int64_t>(run.config.train.distributed.bucketMb * (1 << 20)));
  const int64_t buckets = gradientReducer_->bucketCount();
  logInfo("gradients summed over the ranks in " + std::to_string(buckets) +
          (buckets == 1 ? " bucket" : " buckets") +
          ", each as soon as the backward pass fills it (train.distributed.bucket_mb)");
  bool trainableBatchNorm = false;
  for (auto& module : run.models.network->modules(/*include_self=*/false)) {
    if (auto* batchNorm = module->as<torch::nn::BatchNorm2dImpl>()) {
      trainableBatchNorm = trainableBatchNorm || batchNorm->weight.requires_grad();
    }
  }
  if (run.config.model.syncBatchNorm) {
    // A channel of its own: the statistics' gradients are summed inside the backward pass,
    // while gradient buckets are in flight on the main one.
    std::shared_ptr<DistributedGroup> statistics = run.group->channel("batch_norm");
    const int64_t layers = synchroniseBatchNorm(
        *run.models.network, [statistics](const torch::Tensor& local) {
          torch::Tensor sum = local.contiguous().clone();
          statistics->allReduceSum({sum});
          return sum;
        });
    if (!trainableBatchNorm) {
      logWarning("model.sync_batch_norm is on, but the network has no trainable BatchNorm (" +
                 std::to_string(layers) + " frozen layers; the scratch backbone has GroupNorm)");
    }
  } else if (trainableBatchNorm) {
    for (auto& module : run.models.network->modules(/*include_self=*/false)) {
      if (auto* batchNorm = module->as<torch::nn::BatchNorm2dImpl>()) {
        if (!batchNorm->weight.requires_grad()) continue;
        runningStatistics_.push_back(batchNorm->running_mean);
        runningStatistics_.push_back(batchNorm->running_var);
        runningStatistics_.push_back(batchNorm->num_batches_tracked);
      }
    }
  }
}

void Trainer::shareRunningStatistics() {
  if (!runningStatistics_.empty()) run_.group->broadcast(runningStatistics_, 0);
}

void Trainer::averageOverRanks(StepRecord& record) {
  std::vector<double> values;
  for (const auto& [name, value] : record.losses) values.push_back(value);
  const torch::Tensor sums = torch::tensor(values, torch::kFloat64);
  run_.group->allReduceSum({sums});
  const double ranks = static_cast<double>(run_.group->worldSize());
  for (size_t index = 0; index < record.losses.size(); ++index) {
    record.losses[index].second = sums[static_cast<int64_t>(index)].item<double>() / ranks;
  }
}

void Trainer::resume(const std::string& path) {
  TrainingRun& run = run_;
  // One open file serves the config check, the parts' presence and the load. A damaged one
  // is refused with the newest intact checkpoint beside it, which the user may name instead.
  std::unique_ptr<CheckpointFile> opened;
  TrainingProgress saved;
  try {
    opened = std::make_unique<CheckpointFile>(path, run.device);
    saved = opened->progress();
  } catch (const Error& error) {
    throw Error(error.what() + intactCheckpointBeside(path));
  }
  CheckpointFile& checkpoint = *opened;
  const auto savedConfig = readConfigText<ExperimentConfig>(saved.configYaml, "checkpoint " + path);
  const ConfigComparison changes = compareConfigs(savedConfig, run.config);
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
  for (const CheckpointPart& part : run.models.checkpointParts()) {
    if (checkpoint.hasPart(part.name)) {
      parts.push_back(part);
      supportSaved = supportSaved || part.name == "support";
    } else {
      logWarning("checkpoint " + path + " has no '" + part.name + "'; it starts afresh");
    }
  }
  run.progress = checkpoint.load(*run.models.network, run.optimizer.get(), true, parts);
  // SupportNet was built as a copy of the fresh MainNet; without saved weights it follows the
  // loaded one.
  if (run.models.support && !supportSaved) run.models.support->resetToMain();
  run.progress.configYaml = experimentYaml(run.config);
  WSSS_CHECK(run.progress.iteration <= run.config.train.iterations, "checkpoint ", path,
             " is at step ", run.progress.iteration,
             ", past train.iterations = ", run.config.train.iterations,
             "; raise train.iterations to train on from it");
  run.loader->restore(run.progress.sampler);
  run.resumed = true;
  logInfo("resumed from " + path + " at iteration " + std::to_string(run.progress.iteration));
}

StepRecord Trainer::step(const Batch& globalBatch) {
  TrainingRun& run = run_;
  const auto start = std::chrono::steady_clock::now();
  const int64_t stepIndex = run.progress.iteration;
  const Batch cpuBatch =
      run.group ? batchShare(globalBatch, run.group->rank(), run.group->worldSize()) : globalBatch;
  const Batch batch = batchToDevice(cpuBatch, run.device, run.config.train.channelsLast);
  const LossTerms losses = forwardLosses(run.models, batch, run.config, stepIndex, run.device,
                                         terms_, batchReduction_);
  StepRecord record;
  record.iteration = stepIndex + 1;
  record.losses = lossValues(losses);
  // Every rank decides on the same averaged values, so a non-finite loss stops them all.
  if (run.group) averageOverRanks(record);
  requireFiniteLosses(record);
  run.optimizer->zero_grad();
  if (gradientReducer_) gradientReducer_->prepare();
  losses.total.backward();
  if (gradientReducer_) {
    // What the step waits for after the backward pass: the buckets still in flight, and those
    // that could only start at its end.
    const auto syncStart = std::chrono::steady_clock::now();
    gradientReducer_->finish();
    record.gradientSyncSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - syncStart).count();
  }
  run.optimizer->step();
  if (run.group) shareRunningStatistics();
  record.lr = run.learningRate;
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  record.imagesPerSecond = static_cast<double>(globalBatch.size()) / elapsed.count();
  return record;
}

void Trainer::endRun(bool failed) {
  for (const auto& hook : hooks_) {
    if (!failed) {
      hook->atEnd(run_, false);
      continue;
    }
    try {
      hook->atEnd(run_, true);
    } catch (const std::exception& error) {
      logError("the " + hook->name() + " hook failed at the end of the run: " + error.what());
    }
  }
}

int Trainer::run() {
  TrainingRun& run = run_;
  const int64_t total = run.config.train.iterations;
  const std::string metricsPath = (std::filesystem::path(run.workDir) / "metrics.jsonl").string();
  // Rank 0 alone keeps metrics.jsonl.
  if (run.leads()) {
    run.log = std::make_unique<ProgressLog>(metricsPath, total,
                                            run.resumed ? run.progress.iteration : -1);
  }
  hooks_ = standardHooks();
  hooks_.insert(hooks_.end(), extraHooks_.begin(), extraHooks_.end());
  logInfo("training " + std::to_string(total) + " iterations on " + run.device.str() + " in " +
          run.workDir + " (" + std::to_string(run.trainSet->size()) + " training images, " +
          std::to_string(run.trainSet->numClasses()) + " classes" +
          (run.group ? ", " + std::to_string(run.group->worldSize()) + " ranks" : "") + ")");
  try {
    while (run.progress.iteration < total && !run.stopCode) {
      std::optional<Batch> batch = run.loader->next();
      WSSS_CHECK(batch.has_value(), "the training loader ran dry at iteration ",
                 run.progress.iteration);
      for (const auto& hook : hooks_) hook->beforeStep(run);
      const StepRecord record = step(*batch);
      run.progress.iteration = record.iteration;
      run.progress.sampler = run.loader->state();
      if (run.group) run.group->markProgress(record.iteration);
      for (const auto& hook : hooks_) hook->afterStep(run, record);
    }
  } catch (...) {
    endRun(true);
    throw;
  }
  endRun(false);
  return run.stopCode.value_or(0);
}

}  // namespace

int runTraining(const TrainingRequest& request) {
  Trainer trainer(request);
  return trainer.run();
}

}  // namespace wsss
