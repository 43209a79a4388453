#include "train/loop/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "train/loop/training_options.h"

namespace wsss {

double learningRateFactor(int64_t step, const TrainOptions& options) {
  const double progress =
      std::clamp(static_cast<double>(step) / static_cast<double>(options.iterations), 0.0, 1.0);
  const double poly = std::pow(1.0 - progress, options.polyPower);
  if (step >= options.warmupIters) return poly;
  // The warm-up rises linearly from warmup_factor to the poly curve it hands over to.
  const double ramp = static_cast<double>(step) / static_cast<double>(options.warmupIters);
  return poly * (options.warmupFactor + (1.0 - options.warmupFactor) * ramp);
}

}  // namespace wsss
