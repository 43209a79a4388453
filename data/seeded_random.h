#pragma once
// Random draws that give the same numbers on every machine. std::mt19937_64 is fully specified
// by the standard, but std::uniform_*_distribution and std::shuffle are not, so the loader and
// the augmenter draw only through these helpers.
#include <cstdint>
#include <random>

namespace wsss {

// SplitMix64's finaliser: a bijective mix, so nearby inputs (epoch 3 and 4) give unrelated seeds.
inline uint64_t mixBits(uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

// A seed derived from a base seed and a list of integers; `domain` keeps streams made for
// different purposes (epoch permutation, per-sample augmentation) apart.
inline uint64_t deriveSeed(uint64_t seed, uint64_t domain, uint64_t first, uint64_t second = 0) {
  uint64_t value = mixBits(seed ^ mixBits(domain));
  value = mixBits(value ^ first);
  return mixBits(value ^ mixBits(second + 0x632be59bd9b4e019ULL));
}

// Uniform in [0, 1) from the top 53 bits of one draw.
inline double uniformUnit(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

// Uniform in [low, high); returns low when the range is empty.
inline double uniformReal(std::mt19937_64& rng, double low, double high) {
  return low + (high - low) * uniformUnit(rng);
}

// Uniform integer in [low, high] (both included), by rejection so there is no modulo bias.
inline int64_t uniformInt(std::mt19937_64& rng, int64_t low, int64_t high) {
  if (high <= low) return low;
  const uint64_t range = static_cast<uint64_t>(high - low) + 1;
  if (range == 0) return static_cast<int64_t>(rng());  // the full 64-bit range
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  uint64_t draw = rng();
  while (draw >= limit) draw = rng();
  return low + static_cast<int64_t>(draw % range);
}

// True with the given probability.
inline bool bernoulli(std::mt19937_64& rng, double probability) {
  return uniformUnit(rng) < probability;
}

}  // namespace wsss
