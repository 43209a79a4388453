#pragma once
// The machinery behind DataLoader for one uninterrupted run from a sampler state: worker
// threads load and augment samples, results are reassembled in sampler order, batches are
// collated and queued. restore() in DataLoader simply replaces the pipeline.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "data/augment.h"
#include "data/batch.h"
#include "data/sample_source.h"
#include "data/sampler.h"

namespace wsss {

struct PipelineSettings {
  int64_t batchSize = 8;
  int64_t workers = 2;   // 0: every step runs inside next()
  int64_t prefetch = 4;  // batches queued ahead of the consumer
  bool shuffle = true;
  bool dropLast = true;
  bool infinite = true;
  bool onErrorSkip = false;
  bool points = false;
};

struct DeliveredBatch {
  Batch batch;
  SamplerState after;  // the sampler state just past this batch's last sample
};

class LoaderPipeline {
 public:
  // `loggedIds` remembers which failing ids were already reported; it outlives the pipeline so
  // an id is reported once per loader, not once per restore or epoch.
  LoaderPipeline(std::shared_ptr<const SampleSource> source,
                 std::shared_ptr<const Augmenter> augmenter, PipelineSettings settings,
                 SamplerState start, std::set<std::string>* loggedIds);
  ~LoaderPipeline();
  LoaderPipeline(const LoaderPipeline&) = delete;
  LoaderPipeline& operator=(const LoaderPipeline&) = delete;

  // The next batch in sampler order; nullopt once a one-pass run is over. Rethrows a load
  // error (raise mode) or a failed epoch, and keeps rethrowing it on later calls.
  std::optional<DeliveredBatch> next();

 private:
  enum class TaskKind { Sample, EpochEnd };
  struct Task {
    TaskKind kind = TaskKind::Sample;
    int64_t epoch = 0;
    int64_t position = 0;
    int64_t index = 0;
  };
  struct Outcome {
    Task task;
    std::optional<AugmentedSample> sample;
    std::exception_ptr error;
    std::string reason;
  };
  struct Ready {
    std::optional<Batch> batch;  // set for a batch
    std::exception_ptr error;    // set for a failure; neither set: the run is over
    SamplerState after;
  };
  struct CollateJob {
    int64_t number = 0;
    std::vector<AugmentedSample> samples;
    SamplerState after;
  };

  void stopAndJoin();
  void workerLoop();
  bool canDispatch() const;
  // Takes one task (lock held), runs it with the lock released, then assembles and collates
  // whatever became complete.
  void runOneTask(std::unique_lock<std::mutex>& lock);
  Task generateTask();
  Outcome process(const Task& task) const;
  void assemble(std::vector<CollateJob>& jobs);
  void emitBatch(std::vector<CollateJob>& jobs, const SamplerState& after);
  void emitFailure(std::exception_ptr error);
  void collateAndPublish(std::unique_lock<std::mutex>& lock, std::vector<CollateJob>& jobs);

  std::shared_ptr<const SampleSource> source_;
  std::shared_ptr<const Augmenter> augmenter_;
  PipelineSettings settings_;
  std::set<std::string>* loggedIds_;
  int64_t numClasses_;
  uint64_t seed_;  // read by workers without the lock, so never changed

  std::mutex mutex_;
  std::condition_variable workCondition_;   // workers: room to dispatch, or stop
  std::condition_variable readyCondition_;  // consumer: a batch, an error or the end is ready
  bool stop_ = false;
  bool halted_ = false;  // a failure is queued; nothing after it is needed
  std::exception_ptr fatal_;

  // Task generation, in sampler order.
  Sampler sampler_;
  int64_t tailStart_ = 0;  // positions from here cannot fill a whole batch (raise + drop-last)
  bool finishedIssued_ = false;  // a one-pass run has issued its last task
  int64_t nextSeq_ = 0;

  // Reassembly of finished tasks, in sequence order.
  std::map<int64_t, Outcome> results_;
  int64_t assembleSeq_ = 0;
  std::vector<AugmentedSample> pending_;
  bool epochFromStart_ = false;  // the current epoch is scanned from position 0
  int64_t epochTried_ = 0;
  int64_t epochFailed_ = 0;
  int64_t epochBatches_ = 0;

  // Finished batches, by number, handed out in order.
  std::map<int64_t, Ready> ready_;
  int64_t nextBatchNumber_ = 0;
  int64_t deliverNumber_ = 0;

  std::vector<std::thread> workers_;
};

}  // namespace wsss
