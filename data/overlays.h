#pragma once
// Pictures of predictions for people: a label map in the VOC colours over the image, and a
// class's map as a heat map over it (what `wsss predict` writes and TensorBoard shows).
#include <opencv2/core.hpp>

namespace wsss {

// `image` CV_8UC3 RGB, `labels` CV_8UC1 class indices of the same size (255 = void, left
// uncoloured). Background (0) is left as it is; every other class is blended with its VOC
// colour at `opacity`. Returns CV_8UC3 RGB.
cv::Mat labelOverlay(const cv::Mat& image, const cv::Mat& labels, double opacity = 0.55);

// `map` CV_32FC1 in [0, 1] of the image's size, drawn with the jet colour map (blue low, red
// high) and blended at `opacity`. Returns CV_8UC3 RGB.
cv::Mat heatMapOverlay(const cv::Mat& image, const cv::Mat& map, double opacity = 0.5);

}  // namespace wsss
