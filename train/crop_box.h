#pragma once
// The crop box of a batch (data/batch.h): B x 4 int64 [top, left, bottom, right) of each
// image's real pixels inside the padded crop. Everything that must leave padding out (loss
// masks, pseudo-labels, scoring, saved labels) asks here.
#include <torch/types.h>

namespace wsss {

// B x 1 x height x width bool: inside each image's crop box.
torch::Tensor insideCropBox(const torch::Tensor& cropBox, int64_t height, int64_t width,
                            const torch::Device& device);

// 255 outside each image's crop box: B x H x W labels, B x 4 boxes (undefined: unchanged).
torch::Tensor ignoreOutsideCropBox(const torch::Tensor& labels, const torch::Tensor& cropBox);

// The real pixels of one image: `maps` (H x W, or ... x H x W) cut to `box`, a host int64
// tensor of 4 [top, left, bottom, right).
torch::Tensor cutToCropBox(const torch::Tensor& maps, const torch::Tensor& box);

}  // namespace wsss
