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

}  // namespace wsss
