#pragma once
// The warm-up rule of every loss that waits (L_seg, L_rcm, L_mam): `warmup_iters` steps, or a
// fifth of the run for -1, so that the CAM has learned something before a loss builds on it.
#include <cstdint>
#include <string>

namespace wsss {

class OptionTable;

// Declares `warmup_iters` (at least -1) in `table` for the loss named `loss` (e.g. "L_rcm").
void describeWarmup(OptionTable& table, int64_t& warmupIters, const std::string& loss);

// The steps before the loss switches on, in a run of `iterations` steps.
int64_t warmupSteps(int64_t warmupIters, int64_t iterations);

}  // namespace wsss
