#include "data/sampler.h"

#include <cstring>
#include <numeric>
#include <random>
#include <utility>

#include "core/error.h"
#include "data/seeded_random.h"

namespace wsss {

namespace {

// Keeps the permutation stream apart from the per-sample augmentation streams.
constexpr uint64_t kPermutationDomain = 0x7065726d75746531ULL;

int64_t bitsToInt(uint64_t value) {
  int64_t result = 0;
  std::memcpy(&result, &value, sizeof result);
  return result;
}

uint64_t intToBits(int64_t value) {
  uint64_t result = 0;
  std::memcpy(&result, &value, sizeof result);
  return result;
}

}  // namespace

std::vector<int64_t> samplerStateToVector(const SamplerState& state) {
  return {bitsToInt(state.seed), state.epoch, state.position};
}

SamplerState samplerStateFromVector(const std::vector<int64_t>& values) {
  WSSS_CHECK(values.size() == 3, "sampler state: expected 3 values {seed, epoch, position}, got ",
             values.size());
  WSSS_CHECK(values[1] >= 0 && values[2] >= 0, "sampler state: epoch ", values[1], " and position ",
             values[2], " must not be negative");
  return {intToBits(values[0]), values[1], values[2]};
}

torch::Tensor samplerStateToTensor(const SamplerState& state) {
  const std::vector<int64_t> values = samplerStateToVector(state);
  return torch::tensor(values, torch::kInt64);
}

SamplerState samplerStateFromTensor(const torch::Tensor& tensor) {
  WSSS_CHECK(tensor.defined(), "sampler state: the tensor is undefined");
  WSSS_CHECK(tensor.dim() == 1 && tensor.numel() == 3 && tensor.scalar_type() == torch::kInt64,
             "sampler state: expected an int64 tensor of shape [3], got ", tensor.sizes(), " ",
             tensor.scalar_type());
  const torch::Tensor values = tensor.cpu().contiguous();
  const int64_t* data = values.data_ptr<int64_t>();
  return samplerStateFromVector({data[0], data[1], data[2]});
}

std::vector<int64_t> epochPermutation(int64_t size, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(size));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::mt19937_64 rng(deriveSeed(seed, kPermutationDomain, static_cast<uint64_t>(epoch)));
  for (int64_t i = size - 1; i > 0; --i) {
    const int64_t j = uniformInt(rng, 0, i);
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

Sampler::Sampler(int64_t size, bool shuffle, uint64_t seed)
    : size_(size), shuffle_(shuffle), seed_(seed) {
  WSSS_CHECK(size >= 0, "sampler: dataset size must not be negative, got ", size);
}

std::vector<int64_t> Sampler::order(int64_t epoch) const {
  if (shuffle_) return epochPermutation(size_, seed_, epoch);
  std::vector<int64_t> sequential(static_cast<size_t>(size_));
  std::iota(sequential.begin(), sequential.end(), int64_t{0});
  return sequential;
}

const std::vector<int64_t>& Sampler::orderOf(int64_t epoch) {
  if (cachedEpoch_ != epoch) {
    cachedOrder_ = order(epoch);
    cachedEpoch_ = epoch;
  }
  return cachedOrder_;
}

int64_t Sampler::indexAt(int64_t epoch, int64_t position) {
  WSSS_CHECK(position >= 0 && position < size_, "sampler: position ", position,
             " outside the dataset of ", size_, " samples");
  if (!shuffle_) return position;
  return orderOf(epoch)[static_cast<size_t>(position)];
}

std::optional<int64_t> Sampler::next() {
  if (epochFinished()) return std::nullopt;
  const int64_t index = indexAt(epoch_, position_);
  ++position_;
  return index;
}

void Sampler::startNextEpoch() {
  ++epoch_;
  position_ = 0;
}

void Sampler::restore(const SamplerState& state) {
  WSSS_CHECK(state.epoch >= 0, "sampler state: epoch must not be negative, got ", state.epoch);
  WSSS_CHECK(state.position >= 0 && state.position <= size_, "sampler state: position ",
             state.position, " outside 0..", size_, " (was the dataset changed?)");
  if (state.seed != seed_) cachedEpoch_ = -1;
  seed_ = state.seed;
  epoch_ = state.epoch;
  position_ = state.position;
}

}  // namespace wsss
