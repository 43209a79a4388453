#pragma once
// The random numbers behind the synthetic dataset, drawn through seeded_random.h's helpers
// (std::normal_distribution and friends are implementation-defined): the same seed gives the
// same dataset with any standard library.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "data/seeded_random.h"

namespace wsss {

// Each image gets its own stream, so one image does not depend on how many came before it.
inline uint64_t toyImageSeed(uint64_t seed, uint64_t image) {
  constexpr uint64_t kToyDomain = 0x746f792d64617461ULL;  // keeps toy streams apart from others
  return deriveSeed(seed, kToyDomain, image);
}

class ToyRandom {
 public:
  explicit ToyRandom(uint64_t seed) : engine_(seed) {}

  double uniform() { return uniformUnit(engine_); }  // [0, 1)
  double uniform(double low, double high) { return uniformReal(engine_, low, high); }
  int64_t uniformInt(int64_t low, int64_t high) { return ::wsss::uniformInt(engine_, low, high); }
  bool chance(double probability) { return bernoulli(engine_, probability); }

  // Standard normal by Box-Muller.
  double normal() {
    const double u = 1.0 - uniform();  // (0, 1]: log stays finite
    const double v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
  }

  template <class T>
  const T& pick(const std::vector<T>& values) {
    return values[static_cast<size_t>(uniformInt(0, static_cast<int64_t>(values.size()) - 1))];
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace wsss
