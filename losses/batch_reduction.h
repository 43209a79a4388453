#pragma once
// How a loss that averages over the pixels of its batch finds the batch's counts. In one
// process the batch is all there is. Under torchrun each rank holds an equal share of the
// global batch and the gradients are averaged over the ranks afterwards; a mean over the
// global batch then needs the global count: each rank divides its own sum by the count summed
// over every rank and multiplies by the number of ranks, and the average over ranks is the
// global batch's mean, value and gradient alike (docs/distributed.md).
#include <torch/types.h>

#include <cstdint>
#include <functional>

namespace wsss {

struct BatchReduction {
  // Sums a count tensor over the ranks; null in one process.
  std::function<torch::Tensor(const torch::Tensor& counts)> sumOverRanks;
  int64_t ranks = 1;
  int64_t rank = 0;  // this process's place: its share is rows [rank · B, (rank + 1) · B)

  // Σ values · mask / Σ mask over the global batch (as this rank's share of it), or a zero
  // that keeps the graph where the global batch has no pixel in the mask.
  torch::Tensor maskedMean(const torch::Tensor& values, const torch::Tensor& mask) const;
  // The mean of every element over the global batch (values.mean() in one process); a share
  // with no element gives 0 and still takes part.
  torch::Tensor mean(const torch::Tensor& values) const;
  // A per-image float tensor of this rank's B images (B x ...) as the global batch's
  // (ranks · B x ...), the same on every rank and in the order one process would hold it; the
  // tensor itself in one process. Carries no gradient.
  torch::Tensor gatherRows(const torch::Tensor& local) const;
  // This rank's rows of a global-batch tensor made by gatherRows.
  torch::Tensor ownRows(const torch::Tensor& global) const;
};

}  // namespace wsss
