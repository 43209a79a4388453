#include "losses/rcm_loss.h"

#include <torch/torch.h>

#include "core/class_maps.h"
#include "core/config/option_table.h"
#include "core/error.h"
#include "losses/loss_warmup.h"

namespace wsss {

namespace {

constexpr int64_t kIgnore = 255;
// Far below any logit ⟨g, P⟩ / τ of unit vectors, yet finite, so a pixel with every
// prototype masked gives no NaN (it is ignored anyway).
constexpr double kMaskedLogit = -1e4;

torch::Tensor unit(const torch::Tensor& vectors, int64_t dim) {
  return torch::nn::functional::normalize(
      vectors, torch::nn::functional::NormalizeFuncOptions().dim(dim).eps(1e-12));
}

}  // namespace

void RcmOptions::describe(OptionTable& table) {
  table.field("enabled", enabled, "train with the Regional Contrastive Module (needs SupportNet)");
  table.field("weight", weight, "weight of L_rcm").atLeast(0);
  table
      .field("threshold", threshold,
             "a pixel's region is its top support class where max Ŝ reaches this, else bg")
      .atLeast(0)
      .atMost(1);
  table
      .field("ignore_band", ignoreBand,
             "pixels with max Ŝ this far or less below the threshold are ignored, not bg")
      .rule([this] {
        return ignoreBand >= 0 && ignoreBand <= threshold
                   ? std::string()
                   : std::string("must be in [0, rcm.threshold]");
      });
  table.field("temperature", temperature, "τ of the contrastive logits ⟨g, P⟩ / τ").rule([this] {
    return temperature > 0 ? std::string() : std::string("must be > 0");
  });
  table.field("memory", memory, "prototypes kept per region across steps (0 = no memory)")
      .atLeast(0);
  table.field("stride", stride, "the contrast runs at crop size / stride (1 = full crop)")
      .atLeast(1);
  describeWarmup(table, warmupIters, "L_rcm");
}

int64_t RcmOptions::warmupFor(int64_t iterations) const {
  return warmupSteps(warmupIters, iterations);
}

torch::Tensor regionLabels(const torch::Tensor& supportScores, double threshold,
                           double ignoreBand) {
  WSSS_CHECK(supportScores.dim() == 4, "region labels need B x C x H x W scores, got ",
             supportScores.sizes());
  return thresholdLabels(supportScores, threshold, threshold - ignoreBand);
}

RegionPrototypes imagePrototypes(const torch::Tensor& embedding, const torch::Tensor& regionLabel,
                                 int64_t numRegions) {
  WSSS_CHECK(
      embedding.dim() == 4 && regionLabel.dim() == 3 && embedding.size(0) == regionLabel.size(0) &&
          embedding.size(2) == regionLabel.size(1) && embedding.size(3) == regionLabel.size(2),
      "prototypes: embedding ", embedding.sizes(), " and region labels ", regionLabel.sizes(),
      " must be B x D x H x W and B x H x W");
  const torch::Tensor labels = regionLabel.flatten(1).to(torch::kLong);  // B x P
  // One-hot with an extra column for ignored pixels, dropped after the sum.
  const torch::Tensor slot = torch::where(labels == kIgnore, numRegions, labels);
  const torch::Tensor oneHot =
      torch::one_hot(slot, numRegions + 1).narrow(2, 0, numRegions).to(embedding.dtype());
  const torch::Tensor sums =
      torch::bmm(oneHot.transpose(1, 2), embedding.flatten(2).transpose(1, 2));
  RegionPrototypes prototypes;
  prototypes.present = oneHot.sum(1) > 0;
  prototypes.vectors = unit(sums, 2);
  return prototypes;
}

RegionPrototypes leaveOneOutPrototypes(const RegionPrototypes& images,
                                       const torch::Tensor& memorySum,
                                       const torch::Tensor& memoryCount) {
  const torch::Tensor present = images.present.to(images.vectors.dtype());  // B x K
  const torch::Tensor weighted = images.vectors * present.unsqueeze(-1);    // absent rows are 0
  torch::Tensor others = weighted.sum(0, true) - weighted;                  // B x K x D
  torch::Tensor count = present.sum(0, true) - present;                     // B x K
  if (memorySum.defined()) {
    others = others + memorySum.to(others.dtype()).unsqueeze(0);
    count = count + memoryCount.to(count.dtype()).unsqueeze(0);
  }
  RegionPrototypes result;
  result.present = count > 0;
  // normalize(mean) = normalize(sum): the count only decides presence.
  result.vectors = unit(others, 2) * result.present.unsqueeze(-1).to(others.dtype());
  return result;
}

torch::Tensor rcmLoss(const torch::Tensor& embedding, const RegionPrototypes& prototypes,
                      const torch::Tensor& regionLabel, double temperature,
                      const BatchReduction& reduction) {
  WSSS_CHECK(embedding.dim() == 4 && prototypes.vectors.dim() == 3 &&
                 embedding.size(0) == prototypes.vectors.size(0) &&
                 embedding.size(1) == prototypes.vectors.size(2),
             "RCM loss: embedding ", embedding.sizes(), " and prototypes ",
             prototypes.vectors.sizes(), " must be B x D x H x W and B x K x D");
  const torch::Tensor pixels = embedding.to(torch::kFloat32).flatten(2);  // B x D x P
  const torch::Tensor logits =
      torch::bmm(prototypes.vectors.to(torch::kFloat32), pixels) / temperature;  // B x K x P
  const torch::Tensor present = prototypes.present.unsqueeze(-1);                // B x K x 1
  const torch::Tensor masked = logits.masked_fill(present.logical_not(), kMaskedLogit);

  torch::Tensor labels = regionLabel.flatten(1).to(torch::kLong);  // B x P
  const torch::Tensor known = labels != kIgnore;
  const torch::Tensor own =
      prototypes.present.gather(1, torch::where(known, labels, torch::zeros_like(labels)));
  labels = torch::where(known & own, labels, torch::full_like(labels, kIgnore));
  const torch::Tensor perPixel = torch::nn::functional::cross_entropy(
      masked, labels,
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnore).reduction(
          torch::kNone));
  const torch::Tensor valid = (labels != kIgnore).to(torch::kFloat32);
  return reduction.maskedMean(perPixel, valid);
}

}  // namespace wsss
