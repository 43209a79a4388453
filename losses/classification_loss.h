#pragma once
// L_cls: the multilabel soft-margin loss of the image logits against the image-level labels
// (METHODS §0). Pure function of tensors to a scalar.
#include <torch/types.h>

namespace wsss {

class OptionTable;

struct ClassificationLossOptions {
  double weight = 1.0;  // w_cls in the total loss
  void describe(OptionTable& table);
};

// logits: B x C (any float dtype), labels: B x C in {0, 1}. Mean over images of the mean over
// classes of -[y log σ(z) + (1 - y) log σ(-z)], computed in float32.
torch::Tensor multilabelSoftMarginLoss(const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace wsss
