#include "core/class_maps.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace wsss {

torch::Tensor normaliseClassMaps(const torch::Tensor& maps, const torch::Tensor& labels) {
  WSSS_CHECK(maps.dim() == 4 && labels.dim() == 2 && maps.size(0) == labels.size(0) &&
                 maps.size(1) == labels.size(1),
             "class maps ", maps.sizes(), " and labels ", labels.sizes(),
             " must be B x C x h x w and B x C");
  return divideByPeak(torch::relu(maps.to(torch::kFloat32)) *
                      labels.to(torch::kFloat32).unsqueeze(-1).unsqueeze(-1));
}

torch::Tensor divideByPeak(const torch::Tensor& maps) {
  const torch::Tensor peak = std::get<0>(maps.flatten(2).max(2)).unsqueeze(-1).unsqueeze(-1);
  return maps / (peak + 1e-5);
}

torch::Tensor thresholdLabels(const torch::Tensor& scores, double highThreshold,
                              double lowThreshold) {
  const auto [peak, index] = scores.max(1);
  torch::Tensor labels = torch::full_like(index, 255);
  labels.masked_fill_(peak < lowThreshold, 0);
  labels = torch::where(peak >= highThreshold, index + 1, labels);
  return labels;
}

int64_t scaledSide(int64_t side, double scale) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::lround(static_cast<double>(side) * scale)));
}

torch::Tensor resizeMaps(const torch::Tensor& maps, int64_t height, int64_t width) {
  if (maps.size(-2) == height && maps.size(-1) == width) return maps;
  return torch::nn::functional::interpolate(maps, torch::nn::functional::InterpolateFuncOptions()
                                                      .size(std::vector<int64_t>{height, width})
                                                      .mode(torch::kBilinear)
                                                      .align_corners(false));
}

}  // namespace wsss
