#pragma once
// Stacks augmented samples into the tensors of a Batch (see data/batch.h).
#include <cstdint>
#include <vector>

#include "data/augment.h"
#include "data/batch.h"

namespace wsss {

// Images of different sizes (evaluation) are padded at the bottom and right to the largest in
// the batch: image 0, mask 255, saliency 0; cropBox keeps each sample's real area. mask and
// saliency are defined only if every sample has one; points (N x 5 rows [batch index, y, x,
// cls, rank], N may be 0) only when `points` is true.
Batch collate(std::vector<AugmentedSample> samples, int64_t numClasses, bool points);

}  // namespace wsss
