#pragma once
// OpenCV contrib's information-flow matting (cv::alphamat::infoFlow, Aksoy et al. 2017) on our
// tensors: the `infoflow` solver of `matting.solver` (METHODS §4). It is a sparse linear solve
// on the CPU, one image and class at a time: for offline pseudo-labels, and the reference the
// `propagate` solver is tested against. A build without OpenCV's alphamat module (the static
// GPU bundle) has it switched off; infoFlowAvailable() says which.
#include <torch/types.h>

namespace wsss {

bool infoFlowAvailable();

// Alpha of every class's trimap (B x C x H x W uint8: 0 / 128 / 255) for `images`
// (B x 3 x H x W RGB, any colour scale: each image is stretched to 0..255 for the solver).
// B x C x H x W float32 on the CPU, exactly 0 / 1 on the known pixels; a trimap without an
// unknown pixel is its own alpha, one without foreground is 0 and one without background 1.
// Throws wsss::Error when the build has no alphamat.
torch::Tensor infoFlowAlpha(const torch::Tensor& images, const torch::Tensor& trimaps);

}  // namespace wsss
