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

  // Σ values · mask / Σ mask over the global batch (as this rank's share of it), or a zero
  // that keeps the graph where the global batch has no pixel in the mask.
  torch::Tensor maskedMean(const torch::Tensor& values, const torch::Tensor& mask) const;
};

}  // namespace wsss
