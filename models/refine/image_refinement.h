#pragma once
// The image-guided refinement of METHODS §3 (AFA's PAR kernels): maps are propagated between
// pixels of similar colour, 10 times, on a stencil of dilated 3 x 3 neighbourhoods, at half the
// image size. No gradient. The pseudo-label engine runs it on any source's maps; later methods
// (points, matting) reuse it through the same interface: image, maps, valid mask in; maps out.
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "models/refine/neighbour_stencil.h"

namespace wsss {

class OptionTable;

struct ImageRefinementOptions {
  std::vector<int64_t> dilations = {1, 2, 4, 8, 12, 24};  // 8 neighbours per dilation
  int64_t iterations = 10;
  double scale = 0.5;                // image and maps are refined at this fraction of their size
  double colourTemperature = 0.3;    // w0 of κ_rgb
  double positionTemperature = 0.3;  // w1 of κ_pos
  double positionWeight = 0.01;      // w2: α = softmax κ_rgb + w2 · softmax κ_pos
  void describe(OptionTable& table);
};

// α_ij = softmax_j κ_rgb(i, j) + w2 · softmax_j κ_pos(j) at the image's own size: B x J x H x W
// over `offsets`, so Σ_j α_ij = 1 + w2 at every pixel with a valid neighbour. image: B x 3 x H x W
// (any colour scale: κ_rgb divides by the neighbours' std); valid: B x 1 x H x W bool or
// undefined (all valid). Invalid neighbours get weight 0; a pixel without any gets 0 throughout.
torch::Tensor refinementKernel(const torch::Tensor& image, const torch::Tensor& valid,
                               const std::vector<NeighbourOffset>& offsets,
                               const ImageRefinementOptions& options);

// The refined maps, float32, at the maps' size. image: B x 3 x H x W; maps: B x C x h x w, any C;
// valid: B x 1 x H x W (or B x H x W) bool at the image size, or undefined. Each iteration moves
// a valid pixel to the α-weighted mean of its neighbours (α divided by its sum, so a constant
// map is a fixed point and values stay within the maps' range); invalid pixels are kept.
torch::Tensor refineWithImage(const torch::Tensor& image, const torch::Tensor& maps,
                              const torch::Tensor& valid, const ImageRefinementOptions& options);

// refineWithImage on the classes present in `labels` (B x C in {0, 1}) only: each image's maps
// are gathered to as many channels as the batch's most populous image has classes, refined,
// and put back. Classes absent from an image come back as 0.
torch::Tensor refinePresentClasses(const torch::Tensor& image, const torch::Tensor& maps,
                                   const torch::Tensor& labels, const torch::Tensor& valid,
                                   const ImageRefinementOptions& options);

}  // namespace wsss
