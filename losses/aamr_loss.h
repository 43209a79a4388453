#pragma once
// L_aamr of METHODS §2: the segmentation head trained on a target that saliency and the CAM
// build together, so that saliency sharpens the objects' masks without suppressing the objects
// it misses (a non-salient pixel the CAM fires on strongly keeps its class).
#include <torch/types.h>

namespace wsss {

class OptionTable;

struct AamrOptions {
  bool enabled = false;           // the segmentation head trains on the AAMR target
  double weight = 1.0;            // w_aamr in the total loss
  double alpha = 4.0;             // background score (1 − max_c Â_c)^α
  double salientThreshold = 0.5;  // S ≥ this is salient
  double highActivation = 0.9;    // Â_c ≥ this · max Â_c mines class c outside saliency
  double disagreeWeight = 0.5;    // weight where only one of saliency and the CAM decided
  void describe(OptionTable& table);
};

// The per-pixel target and how much each pixel counts. Where saliency and the CAM agree the
// pixel is as sure as the method gets (weight 1); where only one of them decided it still
// trains, at disagreeWeight, so that neither source alone can overrule the other.
struct AamrTarget {
  torch::Tensor label;   // B x H x W int64: 0 = background, c = class c (1..C), 255 = ignore
  torch::Tensor weight;  // B x H x W float32: 1, disagreeWeight, or 0 where the label is 255
};

// The AAMR target from the maps Â (scores: B x C x H x W in [0, 1], classes absent from
// `labels` 0), the saliency S (B x 1 x H x W in [0, 1]) and the image labels (B x C); valid:
// B x 1 x H x W bool or undefined (all valid). The CAM's own label is the argmax over
// [(1 − max_c Â_c)^α, Â_1..Â_C] (a tie goes to background). Then, per pixel:
//   salient, CAM background          → 255: saliency sees an object the CAM cannot name
//   salient, CAM class c             → c, weight 1
//   not salient, no high class       → background; weight 1 if the CAM says background too,
//                                      disagreeWeight if it named a class
//   not salient, one high class c    → c, disagreeWeight: an object saliency missed
//   not salient, two or more high    → 255: the CAM cannot tell which
//   outside valid                    → 255
// A class is high at a pixel where it is present, Â_c > 0 and Â_c ≥ highActivation · the
// peak of Â_c over the image's valid pixels. No gradient flows into the target.
AamrTarget aamrTarget(const torch::Tensor& scores, const torch::Tensor& saliency,
                      const torch::Tensor& labels, const torch::Tensor& valid,
                      const AamrOptions& options);

// Σ weight · CE / Σ weight over the pixels not ignored: one weighted mean, so a pixel at
// disagreeWeight counts that fraction of a sure one. logits: B x K x H x W (K = C + 1, any
// float dtype; computed in float32). A batch with nothing labelled gives 0 (connected to the
// graph).
torch::Tensor aamrLoss(const torch::Tensor& logits, const AamrTarget& target);

}  // namespace wsss
