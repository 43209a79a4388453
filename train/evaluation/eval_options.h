#pragma once
// Options of segmentation inference at evaluation time: the `eval:` config section.
#include <vector>

namespace wsss {

class OptionTable;

struct EvalOptions {
  std::vector<double> scales = {1.0};  // image scales averaged at test time, each > 0
  bool flip = false;                   // also average the horizontal mirror
  bool crf = false;                    // the dense CRF (crf:) over the averaged probabilities
  void describe(OptionTable& table);
};

}  // namespace wsss
