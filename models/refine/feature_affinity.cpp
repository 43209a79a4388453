#include "models/refine/feature_affinity.h"

#include <torch/torch.h>

#include "core/error.h"

namespace wsss {

torch::Tensor featureAffinity(const torch::Tensor& features, const torch::Tensor& valid,
                              const std::vector<NeighbourOffset>& offsets, double temperature) {
  torch::NoGradGuard noGrad;
  WSSS_CHECK(features.dim() == 4, "feature affinity needs B x D x h x w features, got ",
             features.sizes());
  WSSS_CHECK(temperature > 0, "feature affinity: the temperature must be > 0, got ", temperature);
  const torch::Tensor unit = torch::nn::functional::normalize(
      features.detach().to(torch::kFloat32),
      torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-12));
  // One neighbour at a time: the J shifted copies of a D-channel map would be large.
  const NeighbourViews views(unit, offsets);
  std::vector<torch::Tensor> similarity;
  similarity.reserve(views.size());
  for (size_t j = 0; j < views.size(); ++j) similarity.push_back((unit * views[j]).sum(1));
  const torch::Tensor logits = torch::stack(similarity, 1) / temperature;
  return neighbourSoftmax(logits, validNeighbours(valid, offsets));
}

torch::Tensor propagateByAffinity(const torch::Tensor& maps, const torch::Tensor& affinity,
                                  const std::vector<NeighbourOffset>& offsets, int64_t steps) {
  torch::NoGradGuard noGrad;
  torch::Tensor current = maps.detach().to(torch::kFloat32);
  for (int64_t step = 0; step < steps; ++step) {
    current = weightedNeighbourSum(current, affinity, offsets);
  }
  return current;
}

}  // namespace wsss
