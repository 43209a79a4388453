#include "models/refine/neighbour_stencil.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/error.h"

namespace wsss {

double NeighbourOffset::distance() const {
  return std::sqrt(static_cast<double>(dy * dy + dx * dx));
}

std::vector<NeighbourOffset> stencilOffsets(const std::vector<int64_t>& dilations,
                                            bool withCentre) {
  std::vector<NeighbourOffset> offsets;
  if (withCentre) offsets.push_back({0, 0});
  for (const int64_t dilation : dilations) {
    WSSS_CHECK(dilation >= 1, "a stencil dilation must be at least 1, got ", dilation);
    for (int64_t dy = -1; dy <= 1; ++dy) {
      for (int64_t dx = -1; dx <= 1; ++dx) {
        if (dy != 0 || dx != 0) offsets.push_back({dy * dilation, dx * dilation});
      }
    }
  }
  return offsets;
}

NeighbourViews::NeighbourViews(const torch::Tensor& x, const std::vector<NeighbourOffset>& offsets)
    : offsets_(offsets) {
  WSSS_CHECK(x.dim() == 4, "neighbour views need a B x C x H x W tensor, got ", x.sizes());
  height_ = x.size(2);
  width_ = x.size(3);
  for (const NeighbourOffset& offset : offsets_) {
    pad_ = std::max({pad_, std::abs(offset.dy), std::abs(offset.dx)});
  }
  namespace F = torch::nn::functional;
  padded_ = pad_ == 0
                ? x
                : F::pad(x, F::PadFuncOptions({pad_, pad_, pad_, pad_}).mode(torch::kReplicate));
}

torch::Tensor NeighbourViews::operator[](size_t j) const {
  const NeighbourOffset& offset = offsets_.at(j);
  return padded_.narrow(2, pad_ + offset.dy, height_).narrow(3, pad_ + offset.dx, width_);
}

torch::Tensor NeighbourViews::stacked() const {
  std::vector<torch::Tensor> views;
  views.reserve(offsets_.size());
  for (size_t j = 0; j < offsets_.size(); ++j) views.push_back((*this)[j]);
  return torch::stack(views, 2);
}

torch::Tensor weightedNeighbourSum(const torch::Tensor& x, const torch::Tensor& weights,
                                   const std::vector<NeighbourOffset>& offsets) {
  WSSS_CHECK(weights.dim() == 4 && weights.size(0) == x.size(0) &&
                 weights.size(1) == static_cast<int64_t>(offsets.size()) &&
                 weights.size(2) == x.size(2) && weights.size(3) == x.size(3),
             "neighbour weights ", weights.sizes(), " do not fit maps ", x.sizes(), " and ",
             offsets.size(), " neighbours");
  const NeighbourViews views(x, offsets);
  torch::Tensor sum = torch::zeros_like(x);
  for (size_t j = 0; j < views.size(); ++j) {
    sum.addcmul_(views[j], weights.select(1, static_cast<int64_t>(j)).unsqueeze(1));
  }
  return sum;
}

torch::Tensor validNeighbours(const torch::Tensor& valid,
                              const std::vector<NeighbourOffset>& offsets) {
  if (!valid.defined()) return valid;
  return NeighbourViews(valid.to(torch::kFloat32), offsets).stacked().squeeze(1).gt(0.5);
}

torch::Tensor neighbourSoftmax(const torch::Tensor& logits, const torch::Tensor& validNeighbours) {
  if (!validNeighbours.defined()) return torch::softmax(logits, 1);
  const torch::Tensor masked =
      logits.masked_fill(validNeighbours.logical_not(), -std::numeric_limits<float>::infinity());
  // All −inf gives NaN: such a pixel has no neighbour to take from.
  return torch::softmax(masked, 1).nan_to_num(0.0);
}

}  // namespace wsss
