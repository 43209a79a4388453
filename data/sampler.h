#pragma once
// The order in which the loader visits a dataset: a fresh seeded permutation every epoch, or
// 0..N-1 when not shuffling. Its state is three integers, so a checkpoint resumes exactly.
#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace wsss {

// Where a walk over the dataset stands: `position` indices of epoch `epoch` have been handed
// out (position == dataset size: the epoch is finished, the next one not yet begun).
struct SamplerState {
  uint64_t seed = 0;
  int64_t epoch = 0;
  int64_t position = 0;

  bool operator==(const SamplerState& other) const {
    return seed == other.seed && epoch == other.epoch && position == other.position;
  }
  bool operator!=(const SamplerState& other) const { return !(*this == other); }
};

// Checkpoint form: {seed (bit pattern as int64), epoch, position}.
std::vector<int64_t> samplerStateToVector(const SamplerState& state);
SamplerState samplerStateFromVector(const std::vector<int64_t>& values);
torch::Tensor samplerStateToTensor(const SamplerState& state);  // int64, shape {3}, CPU
SamplerState samplerStateFromTensor(const torch::Tensor& tensor);

// Epoch `epoch`'s visiting order of `size` indices: a Fisher-Yates shuffle driven by a
// std::mt19937_64 seeded from (seed, epoch), identical on every machine.
std::vector<int64_t> epochPermutation(int64_t size, uint64_t seed, int64_t epoch);

class Sampler {
 public:
  Sampler(int64_t size, bool shuffle, uint64_t seed);

  int64_t size() const { return size_; }
  bool shuffle() const { return shuffle_; }

  // The dataset index at `position` of `epoch`'s order.
  int64_t indexAt(int64_t epoch, int64_t position);
  std::vector<int64_t> order(int64_t epoch) const;

  // The next index of the current epoch, or nullopt once the epoch is exhausted; the walk then
  // stays put until startNextEpoch().
  std::optional<int64_t> next();
  bool epochFinished() const { return position_ >= size_; }
  void startNextEpoch();

  SamplerState state() const { return {seed_, epoch_, position_}; }
  // Continues exactly where `state` was taken (its seed replaces the constructor's).
  void restore(const SamplerState& state);

 private:
  const std::vector<int64_t>& orderOf(int64_t epoch);

  int64_t size_;
  bool shuffle_;
  uint64_t seed_;
  int64_t epoch_ = 0;
  int64_t position_ = 0;
  // The permutation of one epoch, kept so each index costs O(1).
  int64_t cachedEpoch_ = -1;
  std::vector<int64_t> cachedOrder_;
};

}  // namespace wsss
