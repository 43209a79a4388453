#include "losses/aamr_loss.h"

#include <torch/torch.h>

#include "core/config/option_table.h"

namespace wsss {

void AamrOptions::describe(OptionTable& table) {
  table.field("enabled", enabled,
              "train the segmentation head on the activation-aware saliency target (L_aamr) "
              "instead of the two-threshold pseudo-labels; needs data.saliency");
  table.field("weight", weight, "weight of L_aamr").atLeast(0);
  table.field("alpha", alpha, "α of the background score (1 − max_c Â_c)^α").positive();
  table.field("salient_threshold", salientThreshold, "a pixel with saliency ≥ this is salient")
      .atLeast(0)
      .atMost(1);
  table
      .field("high_activation", highActivation,
             "a non-salient pixel with Â_c ≥ this · max Â_c keeps class c")
      .atLeast(0)
      .atMost(1);
  table
      .field("disagree_weight", disagreeWeight,
             "cross-entropy weight where only one of saliency and the CAM decided")
      .atLeast(0)
      .atMost(1);
}

}  // namespace wsss
