#include "train/pseudo/support_maps.h"

#include <torch/torch.h>

#include "core/class_maps.h"

namespace wsss {

SupportMaps supportMaps(SupportNet& support, const torch::Tensor& image,
                        const torch::Tensor& labels) {
  SupportOutputs outputs = support.forward(image);
  SupportMaps maps;
  const torch::Tensor mask = labelMask(labels);
  torch::Tensor sum;
  for (torch::Tensor& cam : outputs.cams) {
    maps.perScale.push_back(cam * mask);
    sum = sum.defined() ? sum + maps.perScale.back() : maps.perScale.back();
  }
  maps.scores = normaliseClassMaps(sum, labels);
  maps.embed = outputs.embed;
  return maps;
}

}  // namespace wsss
