#include "train/evaluation/crf_inference.h"

#include <torch/torch.h>

#include "core/error.h"
#include "data/augment.h"
#include "models/crf/dense_crf.h"

namespace wsss {

torch::Tensor imagesForCrf(const torch::Tensor& images, const AugmentOptions& augment) {
  WSSS_CHECK(images.dim() == 4 && images.size(1) == 3, "the CRF needs B x 3 x H x W images, got ",
             images.sizes());
  const auto options = torch::TensorOptions(torch::kFloat32);
  const torch::Tensor mean = torch::tensor(augment.mean, options).view({1, 3, 1, 1});
  const torch::Tensor std = torch::tensor(augment.std, options).view({1, 3, 1, 1});
  const torch::Tensor values = images.to(torch::kCPU, torch::kFloat32) * std + mean;
  return (values * 255.0)
      .round()
      .clamp(0, 255)
      .to(torch::kUInt8)
      .permute({0, 2, 3, 1})
      .contiguous();
}

torch::Tensor crfProbabilities(const torch::Tensor& probabilities, const torch::Tensor& images,
                               const AugmentOptions& augment, const DenseCrfOptions& crf) {
  return denseCrfBatch(probabilities.to(torch::kCPU, torch::kFloat32).contiguous(),
                       imagesForCrf(images, augment), crf)
      .to(probabilities.device());
}

torch::Tensor crfLabels(const torch::Tensor& labels, const torch::Tensor& images,
                        int64_t numLabels, const AugmentOptions& augment,
                        const DenseCrfOptions& crf) {
  const torch::Tensor colours = imagesForCrf(images, augment);
  const torch::Tensor cpuLabels = labels.to(torch::kCPU, torch::kInt64);
  std::vector<torch::Tensor> refined;
  for (int64_t index = 0; index < labels.size(0); ++index) {
    const torch::Tensor unary = labelUnary(cpuLabels[index], numLabels, crf.gtProb);
    refined.push_back(meanField(unary, colours[index], crf).argmax(0));
  }
  return torch::stack(refined).to(labels.device());
}

}  // namespace wsss
