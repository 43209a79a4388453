#include "losses/classification_loss.h"

#include <torch/torch.h>

#include "core/config/option_table.h"
#include "core/error.h"

namespace wsss {

void ClassificationLossOptions::describe(OptionTable& table) {
  table.field("weight", weight, "weight of the image-level multilabel loss L_cls").atLeast(0);
}

torch::Tensor multilabelSoftMarginLoss(const torch::Tensor& logits, const torch::Tensor& labels) {
  WSSS_CHECK(logits.dim() == 2 && logits.sizes() == labels.sizes(), "classification loss: logits ",
             logits.sizes(), " and labels ", labels.sizes(), " must both be B x C");
  const torch::Tensor z = logits.to(torch::kFloat32);
  const torch::Tensor y = labels.to(torch::kFloat32);
  // log σ(z) and log σ(-z) through logsigmoid stay finite for large |z|.
  const torch::Tensor perClass = -(y * torch::log_sigmoid(z) + (1.0 - y) * torch::log_sigmoid(-z));
  return perClass.mean(1).mean();
}

}  // namespace wsss
