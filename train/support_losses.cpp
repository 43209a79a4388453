#include "train/support_losses.h"

#include <torch/torch.h>

#include "core/class_maps.h"
#include "core/error.h"
#include "train/pseudo_labels.h"

namespace wsss {

namespace {

torch::Tensor labelMask(const torch::Tensor& labels) {
  return labels.to(torch::kFloat32).unsqueeze(-1).unsqueeze(-1);
}

// Resized to height x width, then unit length per pixel.
torch::Tensor unitEmbedding(const torch::Tensor& embed, int64_t height, int64_t width) {
  return torch::nn::functional::normalize(
      resizeMaps(embed.to(torch::kFloat32), height, width),
      torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-12));
}

}  // namespace

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

torch::Tensor rcmTerm(const torch::Tensor& mainEmbed, const SupportMaps& support,
                      const Batch& batch, const RcmOptions& options, PrototypeMemory& memory) {
  WSSS_CHECK(support.embed.defined(), "RCM needs SupportNet's scale-1 embedding");
  torch::Tensor region = ignoreOutsideCropBox(
      regionLabels(support.scores, options.threshold, options.ignoreBand), batch.cropBox);
  if (options.stride > 1) {
    using torch::indexing::Slice;
    region = region.index({Slice(), Slice(0, torch::indexing::None, options.stride),
                           Slice(0, torch::indexing::None, options.stride)});
  }
  const int64_t height = region.size(1);
  const int64_t width = region.size(2);
  const int64_t numRegions = support.scores.size(1) + 1;
  const RegionPrototypes own =
      imagePrototypes(unitEmbedding(support.embed.detach(), height, width), region, numRegions);
  const bool remembers = !memory.is_empty();
  const RegionPrototypes prototypes =
      leaveOneOutPrototypes(own, remembers ? memory->sum() : torch::Tensor(),
                            remembers ? memory->count() : torch::Tensor());
  if (remembers) memory->push(own);
  return rcmLoss(unitEmbedding(mainEmbed, height, width), prototypes, region, options.temperature);
}

torch::Tensor mamTerm(WsssNetwork& network, const torch::Tensor& mainCam,
                      const SupportMaps& support, const Batch& batch, const MamOptions& options) {
  const int64_t images = options.imagesOf(batch.image.size(0));
  const int64_t height = batch.image.size(2);
  const int64_t width = batch.image.size(3);
  const torch::Tensor image = batch.image.narrow(0, 0, images);
  const torch::Tensor mask = labelMask(batch.labels.narrow(0, 0, images));
  std::vector<torch::Tensor> mainMaps;
  for (const double scale : options.scales) {
    const torch::Tensor cam = scale == 1.0 ? mainCam.narrow(0, 0, images)
                                           : network->forward(scaleImage(image, scale), false).cam;
    mainMaps.push_back(resizeMaps(torch::relu(cam.to(torch::kFloat32)), height, width) * mask);
  }
  std::vector<torch::Tensor> supportLeading;
  for (const torch::Tensor& map : support.perScale)
    supportLeading.push_back(map.narrow(0, 0, images));
  return mamLoss(mainMaps, supportLeading);
}

}  // namespace wsss
