#pragma once
// The training and evaluation loader: samples in sampler order, loaded and augmented by worker
// threads, collated into CPU batches. Output depends only on the options, the seed and the
// sampler state, never on the number of workers or thread timing (docs/loader.md).
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "data/augment.h"
#include "data/batch.h"
#include "data/data_options.h"
#include "data/sample_source.h"
#include "data/sampler.h"

namespace wsss {

class LoaderPipeline;

struct LoaderOptions {
  int64_t batchSize = 8;
  int64_t workers = 2;   // loading threads; 0 = load inside next()
  int64_t prefetch = 4;  // batches prepared ahead of next()
  bool shuffle = true;
  bool dropLast = true;      // a batch never spans epochs; a short last batch is dropped
  bool infinite = true;      // loop over epochs; false = one pass, then next() returns nullopt
  bool training = true;      // random augmentation; false = normalisation only
  bool onErrorSkip = false;  // skip (and report once) samples that fail to load
  uint64_t seed = 0;
  AugmentOptions augment;
};

// The loader options a `data:` config section implies. Training: shuffled, drop-last, endless;
// evaluation: in order, one pass, every sample.
LoaderOptions loaderOptionsFor(const DataOptions& data, int64_t batchSize, bool training,
                               uint64_t seed);

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const SampleSource> source, LoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // The next batch; nullopt after a one-pass run. A load error (when not skipping) or an epoch
  // in which no batch could be formed is rethrown here, and again on every later call.
  std::optional<Batch> next();

  // The position just past the last batch next() returned.
  SamplerState state() const { return state_; }
  // Continues exactly as the loader that produced `state` would have; queued work is dropped.
  void restore(const SamplerState& state);
  // The epoch of the last batch returned (the starting epoch before the first).
  int64_t epoch() const { return state_.epoch; }
  // Batches in a full epoch when no sample fails.
  int64_t batchesPerEpoch() const;
  const LoaderOptions& options() const { return options_; }

 private:
  std::shared_ptr<const SampleSource> source_;
  LoaderOptions options_;
  std::shared_ptr<const Augmenter> augmenter_;
  SamplerState state_;
  std::set<std::string> loggedIds_;
  // Started on the first next() after construction or restore().
  std::unique_ptr<LoaderPipeline> pipeline_;
};

}  // namespace wsss
