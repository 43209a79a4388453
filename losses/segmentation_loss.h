#pragma once
// L_seg: cross-entropy of the segmentation head against a label map (pseudo-labels or ground
// truth), 255 ignored. By default background and foreground pixels are averaged separately and
// summed with weight ½ each, so the large background does not drown the objects (METHODS §0).
#include <torch/types.h>

#include <cstdint>

#include "losses/batch_reduction.h"

namespace wsss {

class OptionTable;

struct SegmentationLossOptions {
  double weight = 1.0;       // w_seg in the total loss
  int64_t warmupIters = -1;  // L_seg switched on after this many steps; -1 = ⅕ of training
  bool balanced = true;      // bg / fg averaged apart (true) or one mean over all pixels
  void describe(OptionTable& table);
  // The warm-up in steps for a run of `iterations` steps.
  int64_t warmupFor(int64_t iterations) const;
};

// logits: B x K x H x W (K = C + 1, any float dtype; computed in float32), target: B x H x W
// int64 in [0, K) or 255. A batch with no labelled pixel gives 0 (connected to the graph).
// The means are over the global batch under torchrun (`reduction`).
torch::Tensor segmentationLoss(const torch::Tensor& logits, const torch::Tensor& target,
                               bool balanced, const BatchReduction& reduction = {});

}  // namespace wsss
