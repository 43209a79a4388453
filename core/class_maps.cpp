#include "core/class_maps.h"

#include <ATen/Context.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace wsss {

torch::Tensor normaliseClassMaps(const torch::Tensor& maps, const torch::Tensor& labels) {
  WSSS_CHECK(maps.dim() == 4 && labels.dim() == 2 && maps.size(0) == labels.size(0) &&
                 maps.size(1) == labels.size(1),
             "class maps ", maps.sizes(), " and labels ", labels.sizes(),
             " must be B x C x h x w and B x C");
  return divideByPeak(torch::relu(maps.to(torch::kFloat32)) * labelMask(labels));
}

torch::Tensor labelMask(const torch::Tensor& labels) {
  return labels.to(torch::kFloat32).unsqueeze(-1).unsqueeze(-1);
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

torch::Tensor marginLabels(const torch::Tensor& scores, const torch::Tensor& background,
                           double highThreshold, double lowThreshold, double margin) {
  if (!background.defined() && margin <= 0) {
    return thresholdLabels(scores, highThreshold, lowThreshold);
  }
  const torch::Tensor peak = std::get<0>(scores.max(1));
  // Without background evidence the background candidate can never be the top one.
  const torch::Tensor backgroundScore =
      background.defined() ? background.to(scores.dtype())
                           : torch::full_like(scores.narrow(1, 0, 1),
                                              -std::numeric_limits<float>::infinity());
  const torch::Tensor candidates = torch::cat({backgroundScore, scores}, 1);
  const int64_t count = std::min<int64_t>(2, candidates.size(1));
  const auto [top, index] = candidates.topk(count, 1);
  const torch::Tensor first = top.select(1, 0);
  const torch::Tensor lead =
      count > 1 ? first - top.select(1, 1) : torch::full_like(first, std::numeric_limits<float>::infinity());
  const torch::Tensor winner = index.select(1, 0);
  const torch::Tensor decided = lead >= margin;

  torch::Tensor labels = torch::full_like(winner, 255);
  labels.masked_fill_(peak < lowThreshold, 0);
  labels.masked_fill_(decided & winner.eq(0), 0);
  return torch::where(decided & winner.gt(0) & first.ge(highThreshold), winner, labels);
}

int64_t scaledSide(int64_t side, double scale) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::lround(static_cast<double>(side) * scale)));
}

namespace {

// outSize x inSize: row i holds the two weights of interpolate's bilinear rule for output i
// (align_corners = false, the size given): source (i + 0.5) · in/out − 0.5, clamped at 0.
torch::Tensor interpolationMatrix(int64_t inSize, int64_t outSize, const torch::Device& device) {
  const float scale = static_cast<float>(inSize) / static_cast<float>(outSize);
  const torch::Tensor out = torch::arange(outSize, torch::kFloat32);
  const torch::Tensor source = ((out + 0.5f) * scale - 0.5f).clamp_min(0.0f);
  const torch::Tensor lower = source.floor().to(torch::kInt64).clamp_max(inSize - 1);
  const torch::Tensor upper = (lower + 1).clamp_max(inSize - 1);
  const torch::Tensor upperWeight = source - lower.to(torch::kFloat32);
  torch::Tensor matrix = torch::zeros({outSize, inSize}, torch::kFloat32);
  const torch::Tensor rows = torch::arange(outSize, torch::kInt64);
  matrix.index_put_({rows, lower}, 1.0f - upperWeight, /*accumulate=*/true);
  matrix.index_put_({rows, upper}, upperWeight, /*accumulate=*/true);
  return matrix.to(device);
}

}  // namespace

torch::Tensor resizeByMatrices(const torch::Tensor& maps, int64_t height, int64_t width) {
  // Outside autocast: the products would otherwise run in bf16.
  const c10::impl::ExcludeDispatchKeyGuard noAutocast(c10::autocast_dispatch_keyset);
  const torch::Tensor rows = interpolationMatrix(maps.size(-2), height, maps.device());
  const torch::Tensor columns = interpolationMatrix(maps.size(-1), width, maps.device());
  return torch::matmul(rows, torch::matmul(maps.to(torch::kFloat32), columns.t()));
}

torch::Tensor resizeMaps(const torch::Tensor& maps, int64_t height, int64_t width) {
  if (maps.size(-2) == height && maps.size(-1) == width) return maps;
  if (maps.is_cuda() && maps.requires_grad() && at::globalContext().deterministicAlgorithms()) {
    return resizeByMatrices(maps, height, width).to(maps.scalar_type());
  }
  return torch::nn::functional::interpolate(maps, torch::nn::functional::InterpolateFuncOptions()
                                                      .size(std::vector<int64_t>{height, width})
                                                      .mode(torch::kBilinear)
                                                      .align_corners(false));
}

}  // namespace wsss
