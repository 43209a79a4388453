#include "train/evaluation/multi_scale_inference.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/class_maps.h"
#include "core/error.h"

namespace wsss {

torch::Tensor multiScaleProbabilities(const ScoreFunction& score, const torch::Tensor& images,
                                      const std::vector<double>& scales, bool flip) {
  WSSS_CHECK(images.defined() && images.dim() == 4,
             "multi-scale inference: expected N x 3 x H x W images, got shape ",
             images.defined() ? images.sizes() : torch::IntArrayRef{});
  WSSS_CHECK(!scales.empty(), "multi-scale inference: no scales given");
  for (const double scale : scales) {
    WSSS_CHECK(std::isfinite(scale) && scale > 0, "multi-scale inference: scales must be > 0, got ",
               scale);
  }
  torch::NoGradGuard noGrad;
  const int64_t count = images.size(0);
  const int64_t height = images.size(2);
  const int64_t width = images.size(3);

  torch::Tensor sum;
  int64_t classes = -1;
  for (const double scale : scales) {
    torch::Tensor views = resizeMaps(images, scaledSide(height, scale), scaledSide(width, scale));
    // The mirrored copies go through the network in the same call: one pass per scale.
    if (flip) views = torch::cat({views, views.flip({3})}, 0);
    const torch::Tensor logits = score(views);
    WSSS_CHECK(logits.defined() && logits.dim() == 4 && logits.size(0) == views.size(0),
               "multi-scale inference: the score function must return ", views.size(0),
               " x K x h x w logits for ", views.size(0), " images, got shape ",
               logits.defined() ? logits.sizes() : torch::IntArrayRef{});
    WSSS_CHECK(classes < 0 || logits.size(1) == classes,
               "multi-scale inference: the score function returned ", logits.size(1),
               " classes at scale ", scale, " and ", classes, " before");
    classes = logits.size(1);
    torch::Tensor probabilities =
        torch::softmax(resizeMaps(logits.to(torch::kFloat32), height, width), 1);
    if (flip) {
      probabilities =
          probabilities.narrow(0, 0, count) + probabilities.narrow(0, count, count).flip({3});
    }
    sum = sum.defined() ? sum + probabilities : probabilities;
  }
  const int64_t views = static_cast<int64_t>(scales.size()) * (flip ? 2 : 1);
  return sum / static_cast<double>(views);
}

}  // namespace wsss
