#include "models/refine/alpha_matting.h"

#include <torch/torch.h>

#include "core/class_maps.h"
#include "core/config/option_table.h"
#include "core/error.h"
#include "models/refine/neighbour_stencil.h"

namespace wsss {

void MattingOptions::describe(OptionTable& table) {
  table.field("enabled", enabled,
              "refine the pseudo-labels' maps by matting: a trimap per present class, alpha "
              "solved on its unknown pixels, labels the argmax of alpha (background where every "
              "alpha is below 0.5)");
  table.choice("solver", solver,
               "propagate: random-walk matting on the image-guided affinities, on the device; "
               "infoflow: OpenCV contrib's information-flow matting, on the CPU (offline)");
  table.field("foreground", trimap.foreground,
              "sure foreground of class c where its map reaches this and c is the top class")
      .atLeast(0)
      .atMost(1);
  table.field("background", trimap.background, "sure background where every map is at or below this")
      .atLeast(0)
      .atMost(1)
      .rule([this] {
        return trimap.background <= trimap.foreground
                   ? std::string()
                   : "must not exceed matting.foreground (" + std::to_string(trimap.foreground) +
                         ")";
      });
  table.field("tolerance", tolerance, "propagate stops when no unknown pixel moves by this much")
      .positive();
  table.field("max_iterations", maxIterations, "propagate stops after this many steps at most")
      .atLeast(1);
}

torch::Tensor makeTrimaps(const torch::Tensor& maps, const torch::Tensor& labels,
                          const torch::Tensor& valid, const TrimapOptions& options) {
  torch::NoGradGuard noGrad;
  WSSS_CHECK(maps.dim() == 4 && labels.dim() == 2 && labels.size(0) == maps.size(0) &&
                 labels.size(1) == maps.size(1),
             "trimaps: maps ", maps.sizes(), " and labels ", labels.sizes(),
             " must be B x C x H x W and B x C");
  const torch::Tensor present = labels.to(maps.device()).gt(0).view({maps.size(0), -1, 1, 1});
  const torch::Tensor scores = torch::where(present, maps.to(torch::kFloat32),
                                            torch::zeros({}, maps.options().dtype(torch::kFloat32)));
  const auto [peak, top] = scores.max(1, /*keepdim=*/true);
  const torch::Tensor classIndex =
      torch::arange(maps.size(1), top.options()).view({1, -1, 1, 1});
  const torch::Tensor sure = present & scores.ge(options.foreground) & classIndex.eq(top);
  // Sure foreground of any class is background for the others.
  const torch::Tensor anySure = sure.any(1, /*keepdim=*/true);
  torch::Tensor background = peak.le(options.background) | (anySure & sure.logical_not()) |
                             present.logical_not();
  if (valid.defined()) background = background | valid.to(maps.device(), torch::kBool).logical_not();
  torch::Tensor trimaps = torch::full(maps.sizes(), kTrimapUnknown,
                                      maps.options().dtype(torch::kUInt8));
  trimaps.masked_fill_(background.expand_as(trimaps), kTrimapBackground);
  trimaps.masked_fill_(sure & background.logical_not(), kTrimapForeground);
  return trimaps;
}

PropagationResult propagateAlpha(const torch::Tensor& image, const torch::Tensor& trimaps,
                                 const torch::Tensor& valid,
                                 const ImageRefinementOptions& refinement, double tolerance,
                                 int64_t maxIterations) {
  torch::NoGradGuard noGrad;
  WSSS_CHECK(image.dim() == 4 && trimaps.dim() == 4 && image.size(0) == trimaps.size(0) &&
                 image.size(2) == trimaps.size(2) && image.size(3) == trimaps.size(3),
             "matting: image ", image.sizes(), " and trimaps ", trimaps.sizes(),
             " must be B x 3 x H x W and B x C x H x W");
  WSSS_CHECK(maxIterations >= 1, "matting needs at least one iteration, got ", maxIterations);
  const int64_t height = image.size(2), width = image.size(3);
  const torch::Tensor foreground = trimaps.eq(kTrimapForeground).to(torch::kFloat32);
  const torch::Tensor known = trimaps.ne(kTrimapUnknown);

  // The walk at the refinement's scale: a small pixel is known only where its whole footprint
  // is, so a thin unknown band survives the downscaling.
  const int64_t smallHeight = scaledSide(height, refinement.scale);
  const int64_t smallWidth = scaledSide(width, refinement.scale);
  const torch::Tensor small = resizeMaps(image.to(torch::kFloat32), smallHeight, smallWidth);
  const torch::Tensor smallForeground = resizeMaps(foreground, smallHeight, smallWidth);
  const torch::Tensor smallUnknown =
      resizeMaps(known.logical_not().to(torch::kFloat32), smallHeight, smallWidth).gt(0);
  torch::Tensor smallValid;
  if (valid.defined()) {
    smallValid = resizeMaps(valid.to(image.device(), torch::kFloat32), smallHeight, smallWidth)
                     .ge(0.5);
  }
  const std::vector<NeighbourOffset> offsets = stencilOffsets(refinement.dilations, false);
  torch::Tensor kernel = refinementKernel(small, smallValid, offsets, refinement);
  kernel = kernel / kernel.sum(1, true).clamp_min(1e-12);

  // Known small pixels keep their value (0 or 1); unknown ones start halfway.
  const torch::Tensor fixedValue = smallForeground.ge(0.5).to(torch::kFloat32);
  torch::Tensor alpha = torch::where(smallUnknown, torch::full_like(fixedValue, 0.5), fixedValue);
  PropagationResult result;
  for (result.iterations = 1; result.iterations <= maxIterations; ++result.iterations) {
    const torch::Tensor next =
        torch::where(smallUnknown, weightedNeighbourSum(alpha, kernel, offsets), fixedValue);
    result.lastChange = (next - alpha).abs().max().item<double>();
    alpha = next;
    if (result.lastChange < tolerance) break;
  }
  result.iterations = std::min(result.iterations, maxIterations);
  // Back to the full size, the known pixels exact again.
  const torch::Tensor full = resizeMaps(alpha, height, width).clamp(0.0, 1.0);
  result.alpha = torch::where(known, foreground, full);
  return result;
}

torch::Tensor labelsFromAlpha(const torch::Tensor& alpha) {
  const auto [peak, top] = alpha.max(1);
  return torch::where(peak.lt(0.5), torch::zeros_like(top), top + 1);
}

}  // namespace wsss
