#pragma once
// L_affc of METHODS §3: the localisation map is pulled toward its own propagation along the
// intermediate features' affinity (M̃ = A^k Â), so it takes the shapes the features agree on.
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace wsss {

class OptionTable;

struct AffinityConsistencyOptions {
  bool enabled = false;
  double weight = 1.0;                         // w_affc in the total loss
  std::vector<int64_t> dilations = {1, 2, 4};  // 3 x 3 stencils on the mid tap, plus the centre
  double temperature = 0.1;                    // a_ij = softmax_j(⟨f_i, f_j⟩ / temperature)
  int64_t steps = 3;                           // k of M̃ = A^k Â
  void describe(OptionTable& table);
};

// mean |maps − sg(propagated)| over the valid pixels and every channel. maps: B x C x h x w
// (with gradient), propagated likewise; valid: B x 1 x h x w bool or undefined (all).
torch::Tensor affinityConsistencyLoss(const torch::Tensor& maps, const torch::Tensor& propagated,
                                      const torch::Tensor& valid);

}  // namespace wsss
