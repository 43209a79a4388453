#pragma once
// Boundary quality: the pixels near an edge of a label map, where pseudo-labels and
// predictions differ most and where a whole-image mIoU hides it. A pixel is in the band of
// width w when a pixel of another label (void included: VOC draws void along object outlines)
// lies within w pixels of it, horizontally, vertically or diagonally.
#include <torch/types.h>

#include <cstdint>

namespace wsss {

// [B x] H x W bool: the pixels of `labels` ([B x] H x W integers) with another label inside the
// (2w + 1) x (2w + 1) window around them. `width` 0 gives no pixel.
torch::Tensor boundaryBand(const torch::Tensor& labels, int64_t width);

// `target` with every pixel outside the band of `width` around its edges set to 255, so that
// a confusion matrix counts the band alone.
torch::Tensor restrictToBoundaryBand(const torch::Tensor& target, int64_t width);

}  // namespace wsss
