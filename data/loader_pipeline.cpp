#include "data/loader_pipeline.h"

#include <random>
#include <utility>

#include "core/error.h"
#include "core/logging.h"
#include "data/collate.h"
#include "data/seeded_random.h"

namespace wsss {

namespace {

// Keeps the per-sample augmentation streams apart from the epoch permutations.
constexpr uint64_t kSampleDomain = 0x73616d706c653031ULL;

// A raise-mode run with drop-last never needs the positions past the last whole batch.
int64_t tailStartOf(int64_t firstPosition, int64_t size, int64_t batchSize) {
  return firstPosition + (size - firstPosition) / batchSize * batchSize;
}

}  // namespace

LoaderPipeline::LoaderPipeline(std::shared_ptr<const SampleSource> source,
                               std::shared_ptr<const Augmenter> augmenter,
                               PipelineSettings settings, SamplerState start,
                               std::set<std::string>* loggedIds)
    : source_(std::move(source)),
      augmenter_(std::move(augmenter)),
      settings_(settings),
      loggedIds_(loggedIds),
      numClasses_(source_->numClasses()),
      seed_(start.seed),
      sampler_(static_cast<int64_t>(source_->size()), settings.shuffle, start.seed) {
  sampler_.restore(start);
  epochFromStart_ = start.position == 0;
  tailStart_ = tailStartOf(start.position, sampler_.size(), settings_.batchSize);
  try {
    for (int64_t i = 0; i < settings_.workers; ++i) {
      workers_.emplace_back([this] { workerLoop(); });
    }
  } catch (...) {
    // The destructor does not run when the constructor throws; joinable threads left behind
    // would call std::terminate.
    stopAndJoin();
    throw;
  }
}

LoaderPipeline::~LoaderPipeline() { stopAndJoin(); }

void LoaderPipeline::stopAndJoin() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  workCondition_.notify_all();
  readyCondition_.notify_all();
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

std::optional<DeliveredBatch> LoaderPipeline::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto isReady = [this] { return fatal_ || ready_.count(deliverNumber_) > 0; };
  if (workers_.empty()) {
    while (!isReady()) runOneTask(lock);
  } else {
    readyCondition_.wait(lock, isReady);
  }
  if (fatal_) std::rethrow_exception(fatal_);
  auto found = ready_.find(deliverNumber_);
  // A failure or the end stays queued, so every later call gives the same answer.
  if (found->second.error) std::rethrow_exception(found->second.error);
  if (!found->second.batch) return std::nullopt;
  DeliveredBatch delivered{std::move(*found->second.batch), found->second.after};
  ready_.erase(found);
  ++deliverNumber_;
  lock.unlock();
  workCondition_.notify_all();
  return delivered;
}

bool LoaderPipeline::canDispatch() const {
  if (halted_ || finishedIssued_ || fatal_) return false;
  const int64_t queuedBatches = nextBatchNumber_ - deliverNumber_;
  const int64_t samplesInFlight = nextSeq_ - assembleSeq_;
  return queuedBatches < settings_.prefetch &&
         samplesInFlight < settings_.prefetch * settings_.batchSize;
}

void LoaderPipeline::workerLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    workCondition_.wait(lock, [this] { return stop_ || canDispatch(); });
    if (stop_) return;
    try {
      runOneTask(lock);
    } catch (...) {
      // Only a broken invariant or an allocation failure gets here; hand it to the consumer
      // rather than letting the thread die with std::terminate.
      if (!lock.owns_lock()) lock.lock();
      if (!fatal_) fatal_ = std::current_exception();
      halted_ = true;
      readyCondition_.notify_all();
    }
  }
}

void LoaderPipeline::runOneTask(std::unique_lock<std::mutex>& lock) {
  WSSS_CHECK(!finishedIssued_ && !halted_, "data loader: asked for work after the run ended");
  const Task task = generateTask();
  const int64_t seq = nextSeq_++;
  if (task.kind == TaskKind::Sample) {
    lock.unlock();
    Outcome outcome = process(task);
    lock.lock();
    results_.emplace(seq, std::move(outcome));
  } else {
    Outcome marker;
    marker.task = task;
    results_.emplace(seq, std::move(marker));
  }
  std::vector<CollateJob> jobs;
  assemble(jobs);
  collateAndPublish(lock, jobs);
  workCondition_.notify_all();
  readyCondition_.notify_all();
}

LoaderPipeline::Task LoaderPipeline::generateTask() {
  const SamplerState state = sampler_.state();
  if (!settings_.onErrorSkip && settings_.dropLast && state.position >= tailStart_ &&
      !sampler_.epochFinished()) {
    sampler_.restore({state.seed, state.epoch, sampler_.size()});
  }
  if (sampler_.epochFinished()) {
    Task end{TaskKind::EpochEnd, state.epoch, sampler_.size(), -1};
    if (settings_.infinite) {
      sampler_.startNextEpoch();
      tailStart_ = tailStartOf(0, sampler_.size(), settings_.batchSize);
    } else {
      finishedIssued_ = true;
    }
    return end;
  }
  const int64_t index = *sampler_.next();
  return {TaskKind::Sample, state.epoch, state.position, index};
}

LoaderPipeline::Outcome LoaderPipeline::process(const Task& task) const {
  Outcome outcome;
  outcome.task = task;
  try {
    Sample sample = source_->load(static_cast<size_t>(task.index));
    WSSS_CHECK(static_cast<int64_t>(sample.labels.size()) == numClasses_, "image ", sample.id, ": ",
               sample.labels.size(), " image labels, expected ", numClasses_);
    // The stream depends only on (seed, epoch, position): not on the worker or the timing.
    std::mt19937_64 rng(deriveSeed(seed_, kSampleDomain, static_cast<uint64_t>(task.epoch),
                                   static_cast<uint64_t>(task.position)));
    outcome.sample = augmenter_->apply(sample, rng);
  } catch (const std::exception& error) {
    outcome.error = std::current_exception();
    outcome.reason = error.what();
  } catch (...) {
    outcome.error = std::current_exception();
    outcome.reason = "unknown error";
  }
  return outcome;
}

void LoaderPipeline::assemble(std::vector<CollateJob>& jobs) {
  const uint64_t seed = seed_;
  for (auto found = results_.find(assembleSeq_); found != results_.end() && !halted_;
       found = results_.find(assembleSeq_)) {
    Outcome outcome = std::move(found->second);
    results_.erase(found);
    ++assembleSeq_;
    const Task& task = outcome.task;

    if (task.kind == TaskKind::EpochEnd) {
      if (!pending_.empty() && !settings_.dropLast) {
        emitBatch(jobs, {seed, task.epoch, task.position});
      }
      pending_.clear();
      if (epochFromStart_ && epochBatches_ == 0 && epochFailed_ > 0) {
        emitFailure(std::make_exception_ptr(Error(
            detail::concat("data loader: no batch of ", settings_.batchSize,
                           " could be formed in epoch ", task.epoch, ": ", epochFailed_, " of ",
                           epochTried_, " samples failed to load (see the warnings above)"))));
        return;
      }
      epochFromStart_ = true;
      epochTried_ = epochFailed_ = epochBatches_ = 0;
      if (!settings_.infinite) {
        ready_.emplace(nextBatchNumber_++, Ready{std::nullopt, nullptr, {}});
      }
      continue;
    }

    ++epochTried_;
    if (outcome.error) {
      if (!settings_.onErrorSkip) {
        emitFailure(outcome.error);
        return;
      }
      ++epochFailed_;
      const std::string& id = source_->id(static_cast<size_t>(task.index));
      if (loggedIds_->insert(id).second) {
        logWarning("data loader: skipping image " + id + ": " + outcome.reason);
      }
    } else {
      pending_.push_back(std::move(*outcome.sample));
    }
    if (static_cast<int64_t>(pending_.size()) == settings_.batchSize) {
      emitBatch(jobs, {seed, task.epoch, task.position + 1});
    }
  }
}

void LoaderPipeline::emitBatch(std::vector<CollateJob>& jobs, const SamplerState& after) {
  jobs.push_back({nextBatchNumber_++, std::move(pending_), after});
  pending_.clear();
  ++epochBatches_;
}

void LoaderPipeline::emitFailure(std::exception_ptr error) {
  ready_.emplace(nextBatchNumber_++, Ready{std::nullopt, std::move(error), {}});
  halted_ = true;
}

void LoaderPipeline::collateAndPublish(std::unique_lock<std::mutex>& lock,
                                       std::vector<CollateJob>& jobs) {
  if (jobs.empty()) return;
  lock.unlock();
  std::vector<Ready> done;
  for (CollateJob& job : jobs) {
    Ready ready;
    ready.after = job.after;
    try {
      ready.batch = collate(std::move(job.samples), numClasses_, settings_.points);
    } catch (...) {
      ready.error = std::current_exception();
    }
    done.push_back(std::move(ready));
  }
  lock.lock();
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (done[i].error) halted_ = true;
    ready_.emplace(jobs[i].number, std::move(done[i]));
  }
}

}  // namespace wsss
