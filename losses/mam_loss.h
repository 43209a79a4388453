#pragma once
// L_mam, the Multi-scale Attentive Module of METHODS §1: MainNet's CAMs at a few scales are
// pulled toward a target built from SupportNet's CAMs at several scales, each support map
// weighted per class by how much it disagrees with MainNet's (w = 2 − cos, in [1, 2]).
#include <torch/types.h>

#include <vector>

#include "losses/batch_reduction.h"

namespace wsss {

class OptionTable;

struct MamOptions {
  bool enabled = false;
  double weight = 1.0;                       // w_mam in the total loss
  std::vector<double> scales = {0.5, 1, 2};  // image scales of MainNet's CAMs (with gradient)
  double batchFraction = 0.5;                // the leading part of the batch MAM runs on
  int64_t warmupIters = 0;  // L_mam switched on after this many steps; -1 = ⅕ of training
  void describe(OptionTable& table);
  // The warm-up in steps for a run of `iterations` steps.
  int64_t warmupFor(int64_t iterations) const;
  // How many images of a batch of `batchSize` MAM uses (at least one).
  int64_t imagesOf(int64_t batchSize) const;
};

// w_{c} = 2 − cos(main[c], support[c]) per image and class, the cosine over the flattened map:
// 1 for maps that point the same way, 2 for disjoint ones. B x C x H x W each; returns B x C.
torch::Tensor attentionWeights(const torch::Tensor& mainMap, const torch::Tensor& supportMap);

// T[c] = mean_k w_{k,c} · S_k[c], detached. mainMap: B x C x H x W; supportMaps: each likewise.
torch::Tensor attentionTarget(const torch::Tensor& mainMap,
                              const std::vector<torch::Tensor>& supportMaps);

// Σ_s mean |T_s − C_s| over MainNet's maps C_s (relu'd, resized to one size, label-masked)
// and SupportNet's S_k (the same, without gradient).
// Under torchrun the means are over the global batch's leading images (`reduction`).
torch::Tensor mamLoss(const std::vector<torch::Tensor>& mainMaps,
                      const std::vector<torch::Tensor>& supportMaps,
                      const BatchReduction& reduction = {});

}  // namespace wsss
