#include "losses/point_loss.h"

#include <torch/torch.h>

#include "core/error.h"

namespace wsss {

torch::Tensor discOffsets(int64_t radius) {
  WSSS_CHECK(radius >= 0, "point.radius must be at least 0, got ", radius);
  std::vector<int64_t> offsets = {0, 0};
  for (int64_t dy = -radius; dy <= radius; ++dy) {
    for (int64_t dx = -radius; dx <= radius; ++dx) {
      if ((dy != 0 || dx != 0) && dy * dy + dx * dx <= radius * radius) {
        offsets.push_back(dy);
        offsets.push_back(dx);
      }
    }
  }
  return torch::tensor(offsets, torch::kInt64).view({-1, 2});
}

torch::Tensor pointLoss(const torch::Tensor& logits, const torch::Tensor& points, int64_t radius,
                        const torch::Tensor& valid) {
  WSSS_CHECK(logits.dim() == 4, "point loss: logits must be B x K x H x W, got ", logits.sizes());
  const torch::Tensor scores = logits.to(torch::kFloat32);
  if (!points.defined() || points.size(0) == 0) return scores.sum() * 0.0;
  WSSS_CHECK(points.dim() == 2 && points.size(1) == 5,
             "point loss: points must be N x 5 [batch, y, x, cls, rank], got ", points.sizes());
  const int64_t batch = scores.size(0), classes = scores.size(1);
  const int64_t height = scores.size(2), width = scores.size(3);
  const torch::Device device = scores.device();

  const torch::Tensor rows = points.to(device, torch::kFloat32);
  const torch::Tensor image = rows.select(1, 0).to(torch::kInt64);
  const torch::Tensor cls = rows.select(1, 3).to(torch::kInt64);
  WSSS_CHECK(!(cls.lt(0) | cls.ge(classes)).any().item<bool>(),
             "point loss: a click's class is outside 0..", classes - 1);
  // Every click's disc: N x K pixel positions around its pixel.
  const torch::Tensor offsets = discOffsets(radius).to(device);
  // The click's pixel as the augmentation rounds it (floor(v + 0.5)), then the disc around it.
  const auto pixelOf = [](const torch::Tensor& v) {
    return (v + 0.5).floor().to(torch::kInt64).unsqueeze(1);
  };
  const torch::Tensor y = pixelOf(rows.select(1, 1)) + offsets.select(1, 0).unsqueeze(0);
  const torch::Tensor x = pixelOf(rows.select(1, 2)) + offsets.select(1, 1).unsqueeze(0);
  torch::Tensor inside = y.ge(0) & y.lt(height) & x.ge(0) & x.lt(width);
  const torch::Tensor b = image.unsqueeze(1).expand_as(y);
  const torch::Tensor pixel = (b * height + y.clamp(0, height - 1)) * width + x.clamp(0, width - 1);
  if (valid.defined()) {
    const torch::Tensor mask = valid.to(device, torch::kBool).reshape({-1});
    WSSS_CHECK(mask.numel() == batch * height * width, "point loss: valid ", valid.sizes(),
               " does not fit logits ", logits.sizes());
    inside = inside & mask.index_select(0, pixel.reshape({-1})).view_as(inside);
  }
  // The logits at the disc pixels only: (N·K) x classes, then CE against the click's class.
  const torch::Tensor picked =
      scores.permute({0, 2, 3, 1}).reshape({-1, classes}).index_select(0, pixel.reshape({-1}));
  const torch::Tensor target = cls.unsqueeze(1).expand_as(y).reshape({-1});
  const torch::Tensor perPixel =
      torch::nn::functional::cross_entropy(
          picked, target, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone))
          .view(y.sizes());
  const torch::Tensor weight = inside.to(torch::kFloat32);
  const torch::Tensor pixels = weight.sum(1);
  const torch::Tensor perClick = (perPixel * weight).sum(1) / pixels.clamp_min(1.0);
  const torch::Tensor counted = pixels.gt(0).to(torch::kFloat32);
  return (perClick * counted).sum() / counted.sum().clamp_min(1.0);
}

}  // namespace wsss
