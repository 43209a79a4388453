#pragma once
// DeepLabV3+-style segmentation head: ASPP on `high`, upsampled to `low` (stride 4), joined with
// a narrow 1x1 reduction of `low`, two 3x3 convolutions, and a 1x1 classifier to C+1 classes
// (background first). Its logits stay at stride 4; callers upsample them to the image.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "models/aspp.h"
#include "models/conv_layers.h"

namespace wsss {

struct SegmentationHeadOptions {
  int64_t highChannels = 2048;
  int64_t lowChannels = 256;
  int64_t channels = 256;                    // ASPP and decoder width
  std::vector<int64_t> rates = {6, 12, 18};  // dilations at the stride of `high`
  int64_t numClasses = 21;                   // C + 1, background included
  NormKind norm = NormKind::Batch;
};

// The width of the reduced `low` skip: DeepLabV3+'s 48 at 256 channels, scaled with the head
// so that a narrow head is not dominated by its skip connection.
int64_t lowSkipChannels(int64_t headChannels);

class SegmentationHeadImpl : public torch::nn::Module {
 public:
  explicit SegmentationHeadImpl(const SegmentationHeadOptions& options);
  torch::Tensor forward(const torch::Tensor& high, const torch::Tensor& low);
  // The decoder's features at stride 4 (ASPP and the low skip fused, before the classifier).
  torch::Tensor decode(const torch::Tensor& high, const torch::Tensor& low);
  // The C+1 logits of decoded features.
  torch::Tensor classify(const torch::Tensor& features) { return classifier(features); }

 private:
  Aspp aspp{nullptr};
  torch::nn::Sequential lowReduce{nullptr}, fuse{nullptr};
  torch::nn::Conv2d classifier{nullptr};
};
TORCH_MODULE(SegmentationHead);

}  // namespace wsss
