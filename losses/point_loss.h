#pragma once
// L_point (METHODS §5): the segmentation head's cross-entropy at the clicked pixels. Each click
// labels a disc of `radius` pixels around it (in the augmented image, so the disc follows
// every flip, rescale and crop the click went through); each disc is averaged on its own and
// the discs are averaged, so a small object's click weighs as much as a large one's.
#include <torch/types.h>

#include <cstdint>

namespace wsss {

// The (dy, dx) offsets of a disc of `radius` pixels: every integer offset with
// dy² + dx² <= radius², the centre first. K x 2 int64.
torch::Tensor discOffsets(int64_t radius);

// logits: B x K x H x W (K = C + 1, any float dtype; computed in float32) at the image size;
// points: N x 5 rows [batch index, y, x, cls, rank] in pixels of the image (cls 0 is a
// background click); valid: B x 1 x H x W bool (the crop box) or undefined. A disc's pixels
// outside the image or the valid area are left out; a click with none left is dropped. A batch
// without a click gives 0, connected to the graph.
torch::Tensor pointLoss(const torch::Tensor& logits, const torch::Tensor& points, int64_t radius,
                        const torch::Tensor& valid = {});

}  // namespace wsss
