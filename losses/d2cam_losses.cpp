#include "losses/d2cam_losses.h"

#include <torch/torch.h>

#include "core/error.h"

namespace wsss {

torch::Tensor separationLoss(const torch::Tensor& prototypes) {
  WSSS_CHECK(prototypes.dim() == 2, "L_sep: prototypes must be C x D, got ", prototypes.sizes());
  const torch::Tensor cosines = torch::mm(prototypes, prototypes.t());
  const torch::Tensor offDiagonal =
      1.0 - torch::eye(prototypes.size(0), cosines.options());
  return (torch::relu(cosines).square() * offDiagonal).sum();
}

torch::Tensor exclusionLoss(const torch::Tensor& fgbg, const torch::Tensor& labels,
                            const torch::Tensor& valid) {
  WSSS_CHECK(fgbg.dim() == 4 && labels.dim() == 2 && labels.size(0) == fgbg.size(0) &&
                 labels.size(1) == fgbg.size(1),
             "L_ex: maps ", fgbg.sizes(), " and labels ", labels.sizes(),
             " must be B x C x h x w and B x C");
  const torch::Tensor present =
      fgbg.to(torch::kFloat32) * labels.to(fgbg.device(), torch::kFloat32).unsqueeze(-1).unsqueeze(-1);
  // Σ_{c≠c'} P_c P_c' = (Σ_c P_c)² − Σ_c P_c².
  const torch::Tensor pairs = present.sum(1, true).square() - present.square().sum(1, true);
  if (!valid.defined()) return pairs.mean();
  const torch::Tensor weight = valid.to(fgbg.device(), torch::kFloat32);
  return (pairs * weight).sum() / weight.sum().clamp_min(1.0);
}

}  // namespace wsss
