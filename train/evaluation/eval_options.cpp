#include "train/evaluation/eval_options.h"

#include <string>

#include "core/config/option_table.h"

namespace wsss {

void EvalOptions::describe(OptionTable& table) {
  table
      .field("scales", scales,
             "image scales whose softmax probabilities are averaged (e.g. [0.5, 1, 1.5, 2])")
      .length(1, 16)
      .positive();
  table.field("flip", flip, "also average the horizontally mirrored image");
  table.field("crf", crf,
              "refine the averaged probabilities with the dense CRF (the crf: section) in "
              "evaluation, wsss predict and TensorBoard's images");
}

}  // namespace wsss
