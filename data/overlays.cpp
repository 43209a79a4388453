#include "data/overlays.h"

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "data/label_png.h"

namespace wsss {

namespace {

void checkImageAndMap(const cv::Mat& image, const cv::Mat& map, int mapType, const char* what) {
  WSSS_CHECK(image.type() == CV_8UC3, "an overlay needs an 8-bit RGB image");
  WSSS_CHECK(map.type() == mapType, "the ", what, " of an overlay has the wrong type");
  WSSS_CHECK(map.size() == image.size(), "the ", what, " (", map.cols, " x ", map.rows,
             ") and the image (", image.cols, " x ", image.rows, ") differ in size");
}

}  // namespace

cv::Mat labelOverlay(const cv::Mat& image, const cv::Mat& labels, double opacity) {
  checkImageAndMap(image, labels, CV_8UC1, "label map");
  const Palette& palette = vocPalette();
  cv::Mat out = image.clone();
  for (int y = 0; y < image.rows; ++y) {
    const uint8_t* label = labels.ptr<uint8_t>(y);
    cv::Vec3b* pixel = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < image.cols; ++x) {
      if (label[x] == 0 || label[x] == 255) continue;
      const auto& colour = palette[label[x]];
      for (int channel = 0; channel < 3; ++channel) {
        pixel[x][channel] = cv::saturate_cast<uint8_t>((1 - opacity) * pixel[x][channel] +
                                                       opacity * colour[channel]);
      }
    }
  }
  return out;
}

cv::Mat heatMapOverlay(const cv::Mat& image, const cv::Mat& map, double opacity) {
  checkImageAndMap(image, map, CV_32FC1, "map");
  cv::Mat grey;
  map.convertTo(grey, CV_8UC1, 255.0);
  cv::Mat colours;  // BGR, as OpenCV's colour maps come
  cv::applyColorMap(grey, colours, cv::COLORMAP_JET);
  cv::cvtColor(colours, colours, cv::COLOR_BGR2RGB);
  cv::Mat out;
  cv::addWeighted(image, 1 - opacity, colours, opacity, 0, out);
  return out;
}

}  // namespace wsss
