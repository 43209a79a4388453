#include "losses/mam_loss.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/config/option_table.h"
#include "core/error.h"
#include "losses/loss_warmup.h"

namespace wsss {

void MamOptions::describe(OptionTable& table) {
  table.field("enabled", enabled, "train with the Multi-scale Attentive Module (needs SupportNet)");
  table.field("weight", weight, "weight of L_mam").atLeast(0);
  table.field("scales", scales, "image scales of MainNet's CAMs in L_mam").length(1, 16).positive();
  table.field("batch_fraction", batchFraction, "the leading part of each batch L_mam runs on")
      .positive()
      .atMost(1);
  describeWarmup(table, warmupIters, "L_mam");
}

int64_t MamOptions::warmupFor(int64_t iterations) const {
  return warmupSteps(warmupIters, iterations);
}

int64_t MamOptions::imagesOf(int64_t batchSize) const {
  const auto images =
      static_cast<int64_t>(std::floor(batchFraction * static_cast<double>(batchSize)));
  return std::clamp<int64_t>(images, 1, batchSize);
}

torch::Tensor attentionWeights(const torch::Tensor& mainMap, const torch::Tensor& supportMap) {
  WSSS_CHECK(mainMap.dim() == 4 && mainMap.sizes() == supportMap.sizes(), "MAM: maps ",
             mainMap.sizes(), " and ", supportMap.sizes(), " must both be B x C x H x W");
  const torch::Tensor cosine = torch::nn::functional::cosine_similarity(
      mainMap.flatten(2).to(torch::kFloat32), supportMap.flatten(2).to(torch::kFloat32),
      torch::nn::functional::CosineSimilarityFuncOptions().dim(2).eps(1e-8));
  return 2.0 - cosine;
}

torch::Tensor attentionTarget(const torch::Tensor& mainMap,
                              const std::vector<torch::Tensor>& supportMaps) {
  WSSS_CHECK(!supportMaps.empty(), "MAM needs at least one support map");
  torch::NoGradGuard noGrad;
  const torch::Tensor main = mainMap.detach();
  torch::Tensor target = torch::zeros_like(main, torch::kFloat32);
  for (const torch::Tensor& support : supportMaps) {
    target +=
        attentionWeights(main, support).unsqueeze(-1).unsqueeze(-1) * support.to(torch::kFloat32);
  }
  return target / static_cast<double>(supportMaps.size());
}

torch::Tensor mamLoss(const std::vector<torch::Tensor>& mainMaps,
                      const std::vector<torch::Tensor>& supportMaps,
                      const BatchReduction& reduction) {
  WSSS_CHECK(!mainMaps.empty(), "MAM needs at least one MainNet map");
  torch::Tensor loss;
  for (const torch::Tensor& main : mainMaps) {
    const torch::Tensor term =
        reduction.mean((attentionTarget(main, supportMaps) - main.to(torch::kFloat32)).abs());
    loss = loss.defined() ? loss + term : term;
  }
  return loss;
}

}  // namespace wsss
