#pragma once
// A rank's part of the work: its rows of every global batch, its images of an evaluation
// split. Every rank draws the same global batch from the one seeded sampler, so what a run
// trains on does not depend on the number of ranks (docs/distributed.md).
#include <cstdint>
#include <memory>
#include <vector>

#include "data/batch.h"
#include "data/sample_source.h"

namespace wsss {

// Rows [rank · B / N, (rank + 1) · B / N) of a global batch of B images, N = worldSize; the
// clicks follow their images (their batch index renumbered). Throws wsss::Error when B does
// not split evenly over N.
Batch batchShare(const Batch& global, int64_t rank, int64_t worldSize);

// Images rank, rank + N, rank + 2N, ... of a source: the ranks together see each image once.
class StridedSubset : public SampleSource {
 public:
  StridedSubset(std::shared_ptr<const SampleSource> source, int64_t rank, int64_t worldSize);
  size_t size() const override { return indices_.size(); }
  const std::string& id(size_t index) const override;
  int64_t numClasses() const override { return source_->numClasses(); }
  Sample load(size_t index) const override;
  bool readsPoints() const override { return source_->readsPoints(); }

 private:
  std::shared_ptr<const SampleSource> source_;
  std::vector<size_t> indices_;
};

}  // namespace wsss
