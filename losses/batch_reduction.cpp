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

}  // namespace wsss
