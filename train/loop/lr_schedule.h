#pragma once
// The learning-rate schedule: linear warm-up, then poly decay to zero at the last step.
#include <cstdint>

namespace wsss {

struct TrainOptions;

// The factor on the base learning rate for step `step` (0-based) of `options.iterations`.
double learningRateFactor(int64_t step, const TrainOptions& options);

}  // namespace wsss
