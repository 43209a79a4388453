#include "losses/batch_reduction.h"

#include <torch/torch.h>

namespace wsss {

torch::Tensor BatchReduction::maskedMean(const torch::Tensor& values,
                                         const torch::Tensor& mask) const {
  const torch::Tensor sum = (values * mask).sum();
  if (!sumOverRanks) return sum / mask.sum().clamp_min(1);
  // The count carries no gradient; the ranks' shares of the sum do.
  const torch::Tensor count = sumOverRanks(mask.sum().detach());
  return sum / count.clamp_min(1) * static_cast<double>(ranks);
}

torch::Tensor BatchReduction::mean(const torch::Tensor& values) const {
  if (!sumOverRanks) return values.mean();
  const torch::Tensor count = sumOverRanks(torch::full(
      {1}, static_cast<double>(values.numel()), values.options().dtype(torch::kFloat64)))[0];
  return values.sum() / count.clamp_min(1).to(values.scalar_type()) * static_cast<double>(ranks);
}

torch::Tensor BatchReduction::gatherRows(const torch::Tensor& local) const {
  if (!sumOverRanks) return local;
  const int64_t rows = local.size(0);
  std::vector<int64_t> shape = local.sizes().vec();
  shape[0] = rows * ranks;
  // Every other rank's rows are zero here, so the sum over ranks places each share exactly.
  torch::Tensor global = torch::zeros(shape, local.options());
  global.narrow(0, rank * rows, rows).copy_(local.detach());
  return sumOverRanks(global).to(local.dtype());
}

torch::Tensor BatchReduction::ownRows(const torch::Tensor& global) const {
  if (!sumOverRanks) return global;
  const int64_t rows = global.size(0) / ranks;
  return global.narrow(0, rank * rows, rows);
}

}  // namespace wsss
