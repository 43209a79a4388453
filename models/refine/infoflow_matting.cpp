#include "models/refine/infoflow_matting.h"

#include <torch/torch.h>

#include <opencv2/core.hpp>

#include "core/error.h"
#include "models/refine/alpha_matting.h"

#ifdef WSSS_HAVE_ALPHAMAT
#include <opencv2/alphamat.hpp>
#endif

namespace wsss {

bool infoFlowAvailable() {
#ifdef WSSS_HAVE_ALPHAMAT
  return true;
#else
  return false;
#endif
}

namespace {

#ifdef WSSS_HAVE_ALPHAMAT
// One image as the 8-bit RGB the solver reads, stretched to 0..255.
cv::Mat imageAsBytes(const torch::Tensor& image) {
  torch::Tensor pixels = image.to(torch::kCPU, torch::kFloat32);
  const double low = pixels.min().item<double>(), high = pixels.max().item<double>();
  pixels = ((pixels - low) * (255.0 / std::max(high - low, 1e-12)))
               .round()
               .clamp(0, 255)
               .to(torch::kUInt8)
               .permute({1, 2, 0})
               .contiguous();
  return cv::Mat(static_cast<int>(pixels.size(0)), static_cast<int>(pixels.size(1)), CV_8UC3,
                 pixels.data_ptr<uint8_t>())
      .clone();
}

// The solver's output as float alpha in [0, 1], whatever depth it comes in.
torch::Tensor alphaOf(const cv::Mat& result) {
  cv::Mat alpha;
  result.convertTo(alpha, CV_32F, result.depth() == CV_8U ? 1.0 / 255.0 : 1.0);
  return torch::from_blob(alpha.data, {alpha.rows, alpha.cols}, torch::kFloat32).clone().clamp(0, 1);
}
#endif

}  // namespace

torch::Tensor infoFlowAlpha(const torch::Tensor& images, const torch::Tensor& trimaps) {
  WSSS_CHECK(images.dim() == 4 && trimaps.dim() == 4 && images.size(0) == trimaps.size(0) &&
                 images.size(2) == trimaps.size(2) && images.size(3) == trimaps.size(3),
             "infoflow: images ", images.sizes(), " and trimaps ", trimaps.sizes(),
             " must be B x 3 x H x W and B x C x H x W");
#ifndef WSSS_HAVE_ALPHAMAT
  throw Error(
      "matting.solver infoflow needs OpenCV's alphamat module, which this build of wsss does not "
      "have (a static bundle build); use matting.solver: propagate");
#else
  const torch::Tensor maps = trimaps.to(torch::kCPU, torch::kUInt8).contiguous();
  torch::Tensor alpha = maps.eq(kTrimapForeground).to(torch::kFloat32);
  for (int64_t b = 0; b < maps.size(0); ++b) {
    cv::Mat image;
    for (int64_t c = 0; c < maps.size(1); ++c) {
      const torch::Tensor trimap = maps[b][c].contiguous();
      const torch::Tensor unknown = trimap.eq(kTrimapUnknown);
      if (!unknown.any().item<bool>()) continue;
      const bool anyForeground = trimap.eq(kTrimapForeground).any().item<bool>();
      const bool anyBackground = trimap.eq(kTrimapBackground).any().item<bool>();
      if (!anyForeground || !anyBackground) {
        alpha[b][c].masked_fill_(unknown, anyForeground ? 1.0 : 0.0);
        continue;
      }
      if (image.empty()) image = imageAsBytes(images[b]);
      const cv::Mat tmap(static_cast<int>(trimap.size(0)), static_cast<int>(trimap.size(1)),
                         CV_8UC1, const_cast<uint8_t*>(trimap.data_ptr<uint8_t>()));
      cv::Mat result;
      cv::alphamat::infoFlow(image, tmap, result);
      const torch::Tensor solved = alphaOf(result);
      alpha[b][c].copy_(torch::where(unknown, solved, alpha[b][c]));
    }
  }
  return alpha;
#endif
}

}  // namespace wsss
