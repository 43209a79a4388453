#include "losses/loss_warmup.h"

#include "core/config/option_table.h"

namespace wsss {

void describeWarmup(OptionTable& table, int64_t& warmupIters, const std::string& loss) {
  table
      .field("warmup_iters", warmupIters,
             "steps before " + loss + " is switched on (-1 = a fifth of train.iterations)")
      .atLeast(-1);
}

int64_t warmupSteps(int64_t warmupIters, int64_t iterations) {
  return warmupIters >= 0 ? warmupIters : iterations / 5;
}

}  // namespace wsss
