#include "train/crop_box.h"

#include <torch/torch.h>

namespace wsss {

torch::Tensor insideCropBox(const torch::Tensor& cropBox, int64_t height, int64_t width,
                            const torch::Device& device) {
  const torch::Tensor box = cropBox.to(device, torch::kLong);
  const auto rows = torch::arange(height, box.options()).view({1, 1, height, 1});
  const auto cols = torch::arange(width, box.options()).view({1, 1, 1, width});
  auto edge = [&](int64_t k) { return box.select(1, k).view({-1, 1, 1, 1}); };
  return (rows >= edge(0)) & (rows < edge(2)) & (cols >= edge(1)) & (cols < edge(3));
}

torch::Tensor ignoreOutsideCropBox(const torch::Tensor& labels, const torch::Tensor& cropBox) {
  if (!cropBox.defined()) return labels;
  const torch::Tensor inside =
      insideCropBox(cropBox, labels.size(1), labels.size(2), labels.device()).squeeze(1);
  return labels.masked_fill(inside.logical_not(), 255);
}

torch::Tensor cutToCropBox(const torch::Tensor& maps, const torch::Tensor& box) {
  const torch::Tensor edges = box.to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t* edge = edges.data_ptr<int64_t>();
  return maps.slice(-2, edge[0], edge[2]).slice(-1, edge[1], edge[3]);
}

}  // namespace wsss
