#pragma once
// The feature affinity of METHODS §3: how much each pixel's feature agrees with its neighbours'
// on dilated 3 x 3 stencils, and maps propagated along it (M̃ = A^k M), so that a localisation
// map can be pulled toward the shapes the intermediate features draw. No gradient.
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "models/refine/neighbour_stencil.h"

namespace wsss {

// a_ij = softmax_j(⟨f_i, f_j⟩ / temperature) over `offsets`, f = features L2-normalised per
// pixel: B x J x h x w. features: B x D x h x w; valid: B x 1 x h x w bool or undefined.
torch::Tensor featureAffinity(const torch::Tensor& features, const torch::Tensor& valid,
                              const std::vector<NeighbourOffset>& offsets, double temperature);

// A^steps · maps: each step replaces a pixel by the affinity-weighted sum of its neighbours.
// maps: B x C x h x w at the affinity's size.
torch::Tensor propagateByAffinity(const torch::Tensor& maps, const torch::Tensor& affinity,
                                  const std::vector<NeighbourOffset>& offsets, int64_t steps);

}  // namespace wsss
