#pragma once
// Test-time augmentation for segmentation: the image is scored at several scales and, with
// flip, mirrored; the class probabilities are averaged at the image's own size.
#include <torch/types.h>

#include <functional>
#include <vector>

namespace wsss {

// A network's per-pixel scores for a batch of normalised images: N x 3 x h x w -> N x K x h' x w'
// logits (h', w' may be smaller, e.g. a stride-4 head).
using ScoreFunction = std::function<torch::Tensor(const torch::Tensor& images)>;

// N x 3 x H x W images -> N x K x H x W float32 probabilities: for every scale s the images
// are resized bilinearly (align_corners=false) to round(H·s) x round(W·s) (at least 1 pixel),
// scored, the logits resized back to H x W the same way and turned into softmax
// probabilities; with `flip` the mirrored images are scored in the same call and their
// result mirrored back. The mean over the |scales|·(1 + flip) views is returned. Runs without
// gradient. Throws wsss::Error for an empty or non-positive scale list or a score function
// that returns the wrong batch size or a varying number of classes.
torch::Tensor multiScaleProbabilities(const ScoreFunction& score, const torch::Tensor& images,
                                      const std::vector<double>& scales, bool flip);

}  // namespace wsss
