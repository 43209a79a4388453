#include "losses/segmentation_loss.h"

#include <torch/torch.h>

#include "core/config/option_table.h"
#include "core/error.h"
#include "losses/loss_warmup.h"

namespace wsss {

namespace {

constexpr int64_t kIgnore = 255;

}  // namespace

void SegmentationLossOptions::describe(OptionTable& table) {
  table.field("weight", weight, "weight of the segmentation loss L_seg").atLeast(0);
  describeWarmup(table, warmupIters, "L_seg");
  table.field("balanced", balanced,
              "average background and foreground pixels apart, ½ each (false: one mean)");
}

int64_t SegmentationLossOptions::warmupFor(int64_t iterations) const {
  return warmupSteps(warmupIters, iterations);
}

torch::Tensor segmentationLoss(const torch::Tensor& logits, const torch::Tensor& target,
                               bool balanced, const BatchReduction& reduction) {
  WSSS_CHECK(logits.dim() == 4 && target.dim() == 3 && logits.size(0) == target.size(0) &&
                 logits.size(2) == target.size(1) && logits.size(3) == target.size(2),
             "segmentation loss: logits ", logits.sizes(), " and target ", target.sizes(),
             " must be B x K x H x W and B x H x W");
  const torch::Tensor labels = target.to(torch::kLong);
  const torch::Tensor perPixel = torch::nn::functional::cross_entropy(
      logits.to(torch::kFloat32), labels,
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnore).reduction(
          torch::kNone));
  const torch::Tensor valid = (labels != kIgnore).to(torch::kFloat32);
  if (!balanced) return reduction.maskedMean(perPixel, valid);
  const torch::Tensor background = (labels == 0).to(torch::kFloat32);
  const torch::Tensor foreground = valid - background;
  return 0.5 * reduction.maskedMean(perPixel, background) +
         0.5 * reduction.maskedMean(perPixel, foreground);
}

}  // namespace wsss
