#include "train/evaluation/boundary_band.h"

#include <torch/torch.h>

#include "core/error.h"
#include "train/evaluation/confusion_matrix.h"

namespace wsss {

torch::Tensor boundaryBand(const torch::Tensor& labels, int64_t width) {
  WSSS_CHECK(labels.dim() == 2 || labels.dim() == 3, "boundary band: labels must be H x W or ",
             "B x H x W, got ", labels.sizes());
  WSSS_CHECK(width >= 0, "boundary band: the width must not be negative, got ", width);
  if (width == 0) return torch::zeros(labels.sizes(), labels.options().dtype(torch::kBool));
  // Labels are small integers, exact in float32; the window's largest and smallest label
  // differ from the pixel's own exactly when the window holds another label.
  const torch::Tensor values = (labels.dim() == 2 ? labels.unsqueeze(0) : labels)
                                   .unsqueeze(1)
                                   .to(torch::kFloat32);
  const int64_t window = 2 * width + 1;
  const torch::Tensor highest = torch::max_pool2d(values, window, 1, width);
  const torch::Tensor lowest = -torch::max_pool2d(-values, window, 1, width);
  const torch::Tensor band = (highest.ne(values) | lowest.ne(values)).squeeze(1);
  return labels.dim() == 2 ? band.squeeze(0) : band;
}

torch::Tensor restrictToBoundaryBand(const torch::Tensor& target, int64_t width) {
  return target.masked_fill(boundaryBand(target, width).logical_not(), kIgnoreLabel);
}

}  // namespace wsss
