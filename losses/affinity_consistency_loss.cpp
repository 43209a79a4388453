#include "losses/affinity_consistency_loss.h"

#include <torch/torch.h>

#include "core/config/option_table.h"
#include "core/error.h"

namespace wsss {

void AffinityConsistencyOptions::describe(OptionTable& table) {
  table.field("enabled", enabled,
              "pull the CAM toward its propagation along the mid features' affinity (L_affc)");
  table.field("weight", weight, "weight of L_affc").atLeast(0);
  table.field("dilations", dilations, "dilations of the 3 x 3 stencils on the mid tap")
      .atLeast(1)
      .nonEmpty();
  table.field("temperature", temperature, "τ of the affinity softmax over ⟨f_i, f_j⟩ / τ")
      .positive();
  table.field("steps", steps, "k: the CAM is propagated k times (M̃ = A^k Â)").atLeast(1);
}

torch::Tensor affinityConsistencyLoss(const torch::Tensor& maps, const torch::Tensor& propagated,
                                      const torch::Tensor& valid) {
  WSSS_CHECK(maps.dim() == 4 && maps.sizes() == propagated.sizes(), "L_affc: maps ", maps.sizes(),
             " and their propagation ", propagated.sizes(), " must both be B x C x h x w");
  const torch::Tensor error =
      (maps.to(torch::kFloat32) - propagated.detach().to(torch::kFloat32)).abs();
  if (!valid.defined()) return error.mean();
  WSSS_CHECK(valid.dim() == 4 && valid.size(0) == maps.size(0) && valid.size(1) == 1 &&
                 valid.size(2) == maps.size(2) && valid.size(3) == maps.size(3),
             "L_affc: valid mask ", valid.sizes(), " does not fit maps ", maps.sizes());
  const torch::Tensor weight = valid.to(torch::kFloat32).expand_as(error);
  return (error * weight).sum() / weight.sum().clamp_min(1);
}

}  // namespace wsss
