#pragma once
// A pixel's neighbours on 3 x 3 stencils at several dilations, as shifted views of a
// replicate-padded tensor: what the image-guided refinement and the feature affinity of
// METHODS §3 both sum over. Work is per neighbour over whole tensors, never per pixel.
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace wsss {

struct NeighbourOffset {
  int64_t dy = 0, dx = 0;
  double distance() const;  // d for the four on the axes, √2·d for the diagonals, 0 for the centre
};

// The 8 neighbours of each dilation in `dilations` (each ≥ 1), in that order, and the pixel
// itself first when `withCentre`.
std::vector<NeighbourOffset> stencilOffsets(const std::vector<int64_t>& dilations, bool withCentre);

// The stencil's views of x (B x C x H x W), replicate-padded at the border: view j holds at
// pixel i the value of neighbour j of i. Each is a strided view into one padded copy.
class NeighbourViews {
 public:
  NeighbourViews(const torch::Tensor& x, const std::vector<NeighbourOffset>& offsets);
  size_t size() const { return offsets_.size(); }
  torch::Tensor operator[](size_t j) const;  // B x C x H x W
  // B x C x J x H x W: every neighbour at once (J copies; for small C).
  torch::Tensor stacked() const;

 private:
  torch::Tensor padded_;
  std::vector<NeighbourOffset> offsets_;
  int64_t pad_ = 0, height_ = 0, width_ = 0;
};

// Σ_j weights[:, j] · (neighbour j of x): x B x C x H x W, weights B x J x H x W shared by
// every channel. Accumulates one neighbour at a time, so the J shifted copies never exist.
torch::Tensor weightedNeighbourSum(const torch::Tensor& x, const torch::Tensor& weights,
                                   const std::vector<NeighbourOffset>& offsets);

// B x J x H x W bool: whether neighbour j of each pixel lies in the valid area. valid:
// B x 1 x H x W bool, or undefined (then so is the result: every neighbour counts).
torch::Tensor validNeighbours(const torch::Tensor& valid,
                              const std::vector<NeighbourOffset>& offsets);

// softmax over the neighbours (dim 1 of B x J x H x W logits), restricted to the valid ones
// (undefined: all); 0 throughout at a pixel without a valid neighbour.
torch::Tensor neighbourSoftmax(const torch::Tensor& logits, const torch::Tensor& validNeighbours);

}  // namespace wsss
