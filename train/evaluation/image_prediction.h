#pragma once
// What a trained network says about images of one size, for `wsss predict` and the images
// TensorBoard shows: the segmentation head's class probabilities with the `eval:` inference
// (scales, flip, and the dense CRF with eval.crf), the labels, and every class's CAM at the
// image size.
#include <torch/types.h>

#include <opencv2/core.hpp>

#include "models/network.h"

namespace wsss {

struct ExperimentConfig;

struct ImagePredictions {
  torch::Tensor probabilities;  // B x K x H x W float32, K = C + 1 (background first)
  torch::Tensor labels;         // B x H x W int64 in [0, K)
  torch::Tensor cams;           // B x C x H x W float32 in [0, 1]: relu(CAM) over its peak
};

// `images`: B x 3 x H x W, normalised as the loader does, on `device`. Runs in eval mode
// without gradient and leaves the network in the mode it was in.
ImagePredictions predictImages(WsssNetwork& network, const torch::Tensor& images,
                               const ExperimentConfig& config, const torch::Device& device);

// One image's H x W labels as CV_8UC1, and an H x W map as CV_32FC1, copied to the CPU: what
// the overlays (data/overlays.h) draw.
cv::Mat labelsToMat(const torch::Tensor& labels);
cv::Mat mapToMat(const torch::Tensor& map);

}  // namespace wsss
