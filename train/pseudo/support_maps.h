#pragma once
// SupportNet's maps of a batch (METHODS §1): what L_rcm, L_mam and the support pseudo-label
// source read.
#include <torch/types.h>

#include <vector>

#include "models/support_net.h"

namespace wsss {

struct SupportMaps {
  std::vector<torch::Tensor> perScale;  // S_k: relu'd, at the image size, times the labels
  torch::Tensor scores;                 // Ŝ: Σ_k S_k normalised per class, in [0, 1]
  torch::Tensor embed;                  // SupportNet's scale-1 embedding, B x D x h x w
};

// No gradient reaches SupportNet: its maps are constants of the step.
SupportMaps supportMaps(SupportNet& support, const torch::Tensor& image,
                        const torch::Tensor& labels);

}  // namespace wsss
