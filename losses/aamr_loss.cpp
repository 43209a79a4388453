#include "losses/aamr_loss.h"

#include <torch/torch.h>

#include "core/config/option_table.h"
#include "core/error.h"

namespace wsss {

namespace {

constexpr int64_t kIgnore = 255;

bool fitsPixels(const torch::Tensor& map, const torch::Tensor& scores) {
  return map.dim() == 4 && map.size(0) == scores.size(0) && map.size(1) == 1 &&
         map.size(2) == scores.size(2) && map.size(3) == scores.size(3);
}

}  // namespace

void AamrOptions::describe(OptionTable& table) {
  table.field("enabled", enabled,
              "train the segmentation head on the activation-aware saliency target (L_aamr) "
              "instead of the two-threshold pseudo-labels; reads saliency maps from "
              "data.saliency_dir");
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

AamrTarget aamrTarget(const torch::Tensor& scores, const torch::Tensor& saliency,
                      const torch::Tensor& labels, const torch::Tensor& valid,
                      const AamrOptions& options) {
  WSSS_CHECK(scores.dim() == 4 && labels.dim() == 2 && labels.size(0) == scores.size(0) &&
                 labels.size(1) == scores.size(1),
             "AAMR: maps ", scores.sizes(), " and labels ", labels.sizes(),
             " must be B x C x H x W and B x C");
  WSSS_CHECK(saliency.defined(), "AAMR needs a saliency map (B x 1 x H x W), but got none");
  WSSS_CHECK(fitsPixels(saliency, scores), "AAMR: saliency ", saliency.sizes(),
             " must be B x 1 x H x W like the maps ", scores.sizes());
  WSSS_CHECK(!valid.defined() || fitsPixels(valid, scores), "AAMR: valid mask ", valid.sizes(),
             " must be B x 1 x H x W like the maps ", scores.sizes());
  torch::NoGradGuard noGrad;
  const torch::Tensor present =
      labels.to(scores.device()).gt(0).unsqueeze(-1).unsqueeze(-1);  // B x C x 1 x 1
  const torch::Tensor maps = scores.detach().to(torch::kFloat32) * present;
  const torch::Tensor salience = saliency.to(scores.device(), torch::kFloat32).squeeze(1);
  const torch::Tensor inside = valid.defined() ? valid.to(scores.device(), torch::kBool).squeeze(1)
                                               : torch::ones_like(salience, torch::kBool);

  // The CAM's own label: argmax over [bg, classes], a tie going to background.
  const auto [peak, top] = maps.max(1);
  const torch::Tensor camClass = peak > (1 - peak).pow(options.alpha);
  const torch::Tensor camLabel = torch::where(camClass, top + 1, torch::zeros_like(top));

  // High-activation mining: each present class against its own peak over the valid pixels.
  const torch::Tensor classPeak =
      maps.masked_fill(inside.logical_not().unsqueeze(1), 0).amax({2, 3}, true);
  const torch::Tensor high = maps.gt(0) & maps.ge(options.highActivation * classPeak);
  const torch::Tensor highCount = high.sum(1);
  const torch::Tensor highClass = maps.masked_fill(high.logical_not(), -1).argmax(1) + 1;

  const torch::Tensor salient = salience >= options.salientThreshold;
  const torch::Tensor ignore = torch::full_like(camLabel, kIgnore);
  const torch::Tensor one = torch::ones_like(peak);
  const torch::Tensor disagree = torch::full_like(peak, options.disagreeWeight);

  // Non-salient pixels: background unless exactly one class is high there.
  torch::Tensor label = torch::where(highCount.eq(1), highClass, torch::zeros_like(camLabel));
  label = torch::where(highCount.ge(2), ignore, label);
  torch::Tensor weight = torch::where(highCount.eq(0) & camClass.logical_not(), one, disagree);
  // Salient pixels: the CAM's class, or 255 where the CAM calls them background.
  label = torch::where(salient, torch::where(camClass, camLabel, ignore), label);
  weight = torch::where(salient, one, weight);

  label = label.masked_fill(inside.logical_not(), kIgnore);
  weight = weight.masked_fill(label.eq(kIgnore), 0);
  return {label, weight};
}

torch::Tensor aamrLoss(const torch::Tensor& logits, const AamrTarget& target) {
  WSSS_CHECK(logits.dim() == 4 && target.label.dim() == 3 &&
                 target.weight.sizes() == target.label.sizes() &&
                 logits.size(0) == target.label.size(0) && logits.size(2) == target.label.size(1) &&
                 logits.size(3) == target.label.size(2),
             "L_aamr: logits ", logits.sizes(), ", target ", target.label.sizes(), " and weight ",
             target.weight.sizes(), " must be B x K x H x W, B x H x W and B x H x W");
  const torch::Tensor labels = target.label.to(logits.device(), torch::kLong);
  const torch::Tensor perPixel = torch::nn::functional::cross_entropy(
      logits.to(torch::kFloat32), labels,
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnore).reduction(
          torch::kNone));
  const torch::Tensor weight =
      target.weight.to(logits.device(), torch::kFloat32) * labels.ne(kIgnore);
  const torch::Tensor total = weight.sum();
  // With nothing labelled both sums are 0; dividing by 1 then keeps the zero in the graph
  // without the 0 / 0 that would make its gradient NaN.
  return (perPixel * weight).sum() / (total + total.eq(0).to(torch::kFloat32));
}

}  // namespace wsss
