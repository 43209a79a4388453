#pragma once
// L_rcm, the Regional Contrastive Module of METHODS §1: region labels from SupportNet's CAMs,
// one prototype per image and region from SupportNet's embedding, leave-one-out prototypes
// across the batch (plus an optional memory), and a contrastive cross-entropy of MainNet's
// embedding against them. A missing prototype is masked out of the softmax and the pixels that
// would need it are ignored, rather than standing in as a zero vector.
#include <torch/types.h>

#include <cstdint>

#include "losses/batch_reduction.h"

namespace wsss {

class OptionTable;

struct RcmOptions {
  bool enabled = false;
  double weight = 1.0;       // w_rcm in the total loss
  double threshold = 0.3;    // TH: a pixel is its top class where max Ŝ reaches this, else bg
  double ignoreBand = 0.0;   // pixels with max Ŝ in [TH - band, TH) are ignored, not bg
  double temperature = 0.5;  // τ of the contrastive logits
  int64_t memory = 5;        // prototypes kept per region across steps; 0 = no memory
  int64_t stride = 1;        // the contrast runs at crop size / stride (1 = the crop)
  int64_t warmupIters = 0;   // L_rcm switched on after this many steps; -1 = ⅕ of training
  void describe(OptionTable& table);
  // The warm-up in steps for a run of `iterations` steps.
  int64_t warmupFor(int64_t iterations) const;
};

// Per-region prototypes of a batch: K = C + 1 regions, background first.
struct RegionPrototypes {
  torch::Tensor vectors;  // B x K x D, unit length where present, 0 elsewhere
  torch::Tensor present;  // B x K bool
};

// supportScores: B x C x H x W in [0, 1] (Ŝ). Returns B x H x W int64: 1 + argmax_c where
// max_c ≥ threshold, 255 (ignored) where threshold - ignoreBand ≤ max_c < threshold, and 0
// (background) below: the pseudo-labels' two-threshold rule with the low threshold at
// threshold - ignoreBand. METHODS has no band (0): every pixel short of the threshold is bg.
torch::Tensor regionLabels(const torch::Tensor& supportScores, double threshold,
                           double ignoreBand = 0.0);

// embedding: B x D x H x W, unit length per pixel; regionLabel: B x H x W in [0, K) or 255
// (ignored). q_{b,k} = normalize(Σ_p [ℓ(p) = k] f(p)).
RegionPrototypes imagePrototypes(const torch::Tensor& embedding, const torch::Tensor& regionLabel,
                                 int64_t numRegions);

// P_{b,k} = normalize(Σ_{b'≠b} q_{b',k} + Σ memory_k): the image's own prototype is left out.
// memorySum: K x D and memoryCount: K (undefined = no memory). Present where anything was
// summed.
RegionPrototypes leaveOneOutPrototypes(const RegionPrototypes& images,
                                       const torch::Tensor& memorySum,
                                       const torch::Tensor& memoryCount);

// embedding: MainNet's B x D x H x W, unit length per pixel (gradient flows here); logits
// z_k(p) = ⟨g(p), P_{b,k}⟩ / temperature over the present prototypes; cross-entropy against
// regionLabel averaged over the pixels whose own prototype is present (0 if none is).
// Under torchrun the mean is over the global batch's pixels (`reduction`).
torch::Tensor rcmLoss(const torch::Tensor& embedding, const RegionPrototypes& prototypes,
                      const torch::Tensor& regionLabel, double temperature,
                      const BatchReduction& reduction = {});

}  // namespace wsss
