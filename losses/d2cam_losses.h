#pragma once
// The two constraints of the D2CAM head (METHODS §4): stability keeps the class prototypes apart,
// exclusivity keeps two present classes from claiming one pixel.
#include <torch/types.h>

namespace wsss {

// L_sep = Σ_{c≠c'} relu(cos(w_c, w_c'))² over ordered pairs of the C x D unit prototypes: 0 for
// orthogonal (or opposed) prototypes, growing as two of them meet.
torch::Tensor separationLoss(const torch::Tensor& prototypes);

// L_ex = mean over pixels of Σ_{c≠c', both present} P_c · P_c' (ordered pairs), for fg/bg maps
// P (B x C x h x w in [0, 1]) and image labels (B x C in {0, 1}); valid (B x 1 x h x w bool, or
// undefined: all) picks the pixels averaged. 0 for disjoint maps.
torch::Tensor exclusionLoss(const torch::Tensor& fgbg, const torch::Tensor& labels,
                            const torch::Tensor& valid = {});

}  // namespace wsss
