#include "models/refine/class_conditional_inference.h"

#include <torch/torch.h>

#include "core/config/option_table.h"
#include "core/error.h"

namespace wsss {

void CciOptions::describe(OptionTable& table) {
  table.choice("mode", mode, {"class", "agnostic", "off"},
               "class: one erase mask and re-inference per present class; agnostic: one erase "
               "mask for all classes (the released code); off: the multi-scale CAM alone");
  table.field("split", split, "split the image into four crops around the objects' centre");
  table
      .field("buffers", buffers,
             "how far each crop reaches past the centre, in pixels, for one and for two classes")
      .atLeast(0);
  table.field("rounds", rounds, "erase-and-infer-again rounds after the first pass").atLeast(0);
  table.field("erase_threshold", eraseThreshold, "a pixel whose map reaches this is erased")
      .positive()
      .atMost(1);
  table
      .field("stop_fraction", stopFraction,
             "stop once a round erases less than this fraction of the crop anew")
      .atLeast(0)
      .atMost(1);
  table.field("scales", scales, "image scales whose CAMs F(x) sums").positive().nonEmpty();
  table.field("flip", flip, "F(x) also sums the mirrored images' CAMs");
}

}  // namespace wsss
