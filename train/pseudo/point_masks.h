#pragma once
// Point supervision's pseudo-masks (METHODS §5), made on the fly from the network's own
// features: the decoder features E, L2-normalised and refined with the image, are compared
// with E at every click, and the similarity is filtered by the distance to the click,
//   s_p(i) = ⟨R(E)_i, E_p⟩ · exp(-|i - p|² / 2σ²),   S_c = max over c's clicks of s_p,
// with R the image-guided operator of METHODS §3 and σ = point.sigma × the image's diagonal.
// R is linear and weighs every channel alike, so ⟨R(E)_i, E_p⟩ = R(⟨E, E_p⟩)_i: the code
// refines each click's cosine map (a few maps per image) rather than E's D channels. The
// refined E is not normalised again (it would divide by |R(E)_i| ≤ 1, which needs all D
// channels); where E is uniform the two agree. The `point:` section also holds the two loss
// terms' settings (L_point, L_pm; train/step/terms/point_term.cpp and pm_term.cpp).
#include <torch/types.h>

#include <cstdint>

#include "models/refine/image_refinement.h"

namespace wsss {

class OptionTable;

struct PointOptions {
  double weight = 1.0;       // w of L_point, the CE at the clicked discs
  int64_t radius = 2;        // the disc each click labels, in pixels of the augmented image
  double maskWeight = 1.0;   // w of L_pm, the CE on the pseudo-masks
  int64_t warmupIters = -1;  // L_pm switched on after this many steps; -1 = ⅕ of training
  bool balanced = true;      // L_pm: background and foreground pixels averaged apart, ½ each
  double sigma = 0.25;       // the spatial filter's σ as a fraction of the diagonal; 0 = no filter
  bool refine = true;        // refine E with the image (METHODS §3's operator) before comparing
  double highThreshold = 0.6;  // a pixel takes its top class at or above this ...
  double margin = 0.1;         // ... when it beats the runner-up by this
  double lowThreshold = 0.3;   // background where every class is below this
  void describe(OptionTable& table);
  int64_t warmupFor(int64_t iterations) const;
};

// The similarity maps of the clicks' classes, float32 in [0, 1] at height x width (cosines
// below 0 count as 0), no gradient.
struct PointScores {
  torch::Tensor scores;      // B x C x H x W: S_c; 0 for a class without a click
  torch::Tensor background;  // B x 1 x H x W: S of the background clicks; 0 without one
};

// embedding: B x D x h x w decoder features (E, any float dtype); points: N x 5 rows
// [batch index, y, x, cls, rank] in pixels of the height x width image, cls 0 for background;
// image: B x 3 x H x W, the refinement's guide; valid: B x 1 x H x W bool or undefined. The
// refinement runs at E's own size (the image downscaled to it) with `refinement`'s operator.
// Batched: one matrix product per image over all its clicks, no loop over clicks.
PointScores pointScores(const torch::Tensor& embedding, const torch::Tensor& points,
                        const torch::Tensor& image, const torch::Tensor& valid,
                        int64_t numClasses, const PointOptions& options,
                        const ImageRefinementOptions& refinement);

}  // namespace wsss
