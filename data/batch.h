#pragma once
// What the loader hands to training: plain named tensors, batch first. Saliency maps and clicks
// are read only when a method of the run uses them (DataNeeds), else left undefined.
#include <torch/types.h>

#include <string>
#include <vector>

namespace wsss {

struct Batch {
  std::vector<std::string> ids;
  torch::Tensor image;     // B x 3 x H x W float32, normalised; padding is 0
  torch::Tensor labels;    // B x C float32 in {0, 1}
  torch::Tensor mask;      // B x H x W int64 (0..C, 255 = void or padding); undefined if no masks
  torch::Tensor saliency;  // B x 1 x H x W float32 in [0, 1]; or undefined
  torch::Tensor points;    // N x 5 float32 rows [batch index, y, x, cls, rank]; or undefined
  torch::Tensor cropBox;   // B x 4 int64 [top, left, bottom, right): the real image inside the crop

  int64_t size() const { return static_cast<int64_t>(ids.size()); }
};

}  // namespace wsss
