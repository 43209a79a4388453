#include "data/data_loader.h"

#include <utility>

#include "core/error.h"
#include "data/loader_pipeline.h"

namespace wsss {

LoaderOptions loaderOptionsFor(const DataOptions& data, int64_t batchSize, bool training,
                               uint64_t seed) {
  LoaderOptions options;
  options.batchSize = batchSize;
  options.workers = data.workers;
  options.prefetch = data.prefetch;
  options.shuffle = training;
  options.dropLast = training;
  options.infinite = training;
  options.training = training;
  options.onErrorSkip = data.onError == OnError::Skip;
  options.seed = seed;
  options.augment = data.augment;
  return options;
}

DataLoader::DataLoader(std::shared_ptr<const SampleSource> source, LoaderOptions options)
    : source_(std::move(source)), options_(std::move(options)) {
  WSSS_CHECK(source_ != nullptr, "data loader: no sample source");
  const int64_t size = static_cast<int64_t>(source_->size());
  WSSS_CHECK(size > 0, "data loader: the dataset is empty");
  WSSS_CHECK(options_.batchSize > 0, "data loader: batch size must be positive, got ",
             options_.batchSize);
  WSSS_CHECK(options_.workers >= 0, "data loader: workers must not be negative, got ",
             options_.workers);
  WSSS_CHECK(options_.prefetch > 0, "data loader: prefetch must be positive, got ",
             options_.prefetch);
  WSSS_CHECK(!options_.dropLast || size >= options_.batchSize, "data loader: ", size,
             " samples cannot fill one batch of ", options_.batchSize,
             " with drop-last (lower the batch size)");
  augmenter_ = std::make_shared<const Augmenter>(options_.augment, options_.training);
  state_ = {options_.seed, 0, 0};
}

DataLoader::~DataLoader() = default;

std::optional<Batch> DataLoader::next() {
  if (!pipeline_) {
    PipelineSettings settings;
    settings.batchSize = options_.batchSize;
    settings.workers = options_.workers;
    settings.prefetch = options_.prefetch;
    settings.shuffle = options_.shuffle;
    settings.dropLast = options_.dropLast;
    settings.infinite = options_.infinite;
    settings.onErrorSkip = options_.onErrorSkip;
    // The source knows whether it reads clicks, so the loader cannot disagree with it.
    settings.points = source_->readsPoints();
    pipeline_ =
        std::make_unique<LoaderPipeline>(source_, augmenter_, settings, state_, &loggedIds_);
  }
  std::optional<DeliveredBatch> delivered = pipeline_->next();
  if (!delivered) return std::nullopt;
  state_ = delivered->after;
  return std::move(delivered->batch);
}

void DataLoader::restore(const SamplerState& state) {
  // Validates against this dataset before anything is dropped.
  Sampler(static_cast<int64_t>(source_->size()), options_.shuffle, state.seed).restore(state);
  pipeline_.reset();
  state_ = state;
}

int64_t DataLoader::batchesPerEpoch() const {
  const int64_t size = static_cast<int64_t>(source_->size());
  return options_.dropLast ? size / options_.batchSize
                           : (size + options_.batchSize - 1) / options_.batchSize;
}

}  // namespace wsss
