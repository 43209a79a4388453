#include "models/refine/image_refinement.h"

#include <torch/torch.h>

#include "core/class_maps.h"
#include "core/config/option_table.h"
#include "core/error.h"

namespace wsss {

namespace {

constexpr double kStdEpsilon = 1e-8;

torch::Tensor asValidMask(const torch::Tensor& valid, const torch::Tensor& image) {
  if (!valid.defined()) return valid;
  const torch::Tensor mask = valid.dim() == 3 ? valid.unsqueeze(1) : valid;
  WSSS_CHECK(mask.dim() == 4 && mask.size(0) == image.size(0) && mask.size(1) == 1 &&
                 mask.size(2) == image.size(2) && mask.size(3) == image.size(3),
             "refinement: valid mask ", valid.sizes(), " does not fit image ", image.sizes(),
             " (need B x 1 x H x W or B x H x W)");
  return mask.to(image.device(), torch::kBool);
}

}  // namespace

void ImageRefinementOptions::describe(OptionTable& table) {
  table.field("dilations", dilations, "dilations of the 3 x 3 stencils (8 neighbours each)")
      .atLeast(1)
      .nonEmpty();
  table.field("iterations", iterations, "propagation steps").atLeast(1);
  table.field("scale", scale, "image and maps are refined at this fraction of their size")
      .positive()
      .atMost(1);
  table.field("colour_temperature", colourTemperature, "w0 of the colour kernel").positive();
  table.field("position_temperature", positionTemperature, "w1 of the position kernel").positive();
  table.field("position_weight", positionWeight, "w2: weight of the position kernel").atLeast(0);
}

torch::Tensor refinementKernel(const torch::Tensor& image, const torch::Tensor& valid,
                               const std::vector<NeighbourOffset>& offsets,
                               const ImageRefinementOptions& options) {
  WSSS_CHECK(image.dim() == 4, "refinement needs a B x 3 x H x W image, got ", image.sizes());
  WSSS_CHECK(offsets.size() >= 2, "refinement needs at least 2 neighbours, got ", offsets.size());
  const torch::Tensor colour = image.to(torch::kFloat32);
  const NeighbourViews neighbours(colour, offsets);
  const torch::Tensor usable = validNeighbours(valid, offsets);  // B x J x H x W bool or undefined

  // σ_i per channel: the unbiased std of the valid neighbours' colours, from running sums over
  // the neighbours (so the J shifted copies of the image never exist at once) of their
  // differences to pixel i (so a flat region loses no precision to cancellation).
  torch::Tensor sum = torch::zeros_like(colour);
  torch::Tensor squares = torch::zeros_like(colour);
  torch::Tensor count;
  if (usable.defined()) {
    const torch::Tensor weights = usable.to(torch::kFloat32).unsqueeze(2);  // B x J x 1 x H x W
    count = torch::zeros_like(colour.narrow(1, 0, 1));
    for (size_t j = 0; j < neighbours.size(); ++j) {
      const torch::Tensor weight = weights.select(1, static_cast<int64_t>(j));
      const torch::Tensor difference = (neighbours[j] - colour).mul_(weight);
      sum.add_(difference);
      squares.addcmul_(difference, difference);
      count.add_(weight);
    }
  } else {
    for (size_t j = 0; j < neighbours.size(); ++j) {
      const torch::Tensor difference = neighbours[j] - colour;
      sum.add_(difference);
      squares.addcmul_(difference, difference);
    }
    count = torch::full({1}, static_cast<double>(neighbours.size()), colour.options());
  }
  const torch::Tensor variance =
      ((squares - sum * sum / count.clamp_min(1)) / (count - 1).clamp_min(1)).clamp_min(0);
  // κ_rgb = −mean_c ((I_i − I_j) / (σ_i + 1e-8) / w0)², one neighbour at a time.
  const torch::Tensor scale = 1.0 / ((variance.sqrt() + kStdEpsilon) * options.colourTemperature);
  torch::Tensor colourLogits = torch::empty(
      {colour.size(0), static_cast<int64_t>(neighbours.size()), colour.size(2), colour.size(3)},
      colour.options());
  for (size_t j = 0; j < neighbours.size(); ++j) {
    const torch::Tensor contrast = (colour - neighbours[j]).mul_(scale);
    colourLogits.select(1, static_cast<int64_t>(j)).copy_(contrast.square_().sum(1));
  }
  colourLogits.mul_(-1.0 / static_cast<double>(colour.size(1)));

  // The position term is the same at every pixel: one weight per neighbour, renormalised
  // over the valid neighbours where there is a mask.
  std::vector<double> distances;
  for (const NeighbourOffset& offset : offsets) distances.push_back(offset.distance());
  const torch::Tensor distance = torch::tensor(distances, colour.options());
  const torch::Tensor positionLogits =
      -(distance / (distance.std() + kStdEpsilon) / options.positionTemperature).square();
  const torch::Tensor position = torch::softmax(positionLogits, 0).view({1, -1, 1, 1});
  torch::Tensor positionWeights = position;
  if (usable.defined()) {
    const torch::Tensor kept = position * usable;
    positionWeights = kept / kept.sum(1, true).clamp_min(1e-30);
  }
  return neighbourSoftmax(colourLogits, usable) + options.positionWeight * positionWeights;
}

torch::Tensor refineWithImage(const torch::Tensor& image, const torch::Tensor& maps,
                              const torch::Tensor& valid, const ImageRefinementOptions& options) {
  torch::NoGradGuard noGrad;
  WSSS_CHECK(image.dim() == 4 && maps.dim() == 4 && image.size(0) == maps.size(0),
             "refinement: image ", image.sizes(), " and maps ", maps.sizes(),
             " must be B x 3 x H x W and B x C x h x w");
  const torch::Tensor validMask = asValidMask(valid, image);
  const int64_t height = scaledSide(image.size(2), options.scale);
  const int64_t width = scaledSide(image.size(3), options.scale);
  const torch::Tensor small = resizeMaps(image.to(torch::kFloat32), height, width);
  torch::Tensor current = resizeMaps(maps.to(torch::kFloat32), height, width).contiguous();
  torch::Tensor smallValid;
  if (validMask.defined()) {
    smallValid = resizeMaps(validMask.to(torch::kFloat32), height, width).ge(0.5);
    // Nothing to mask (an uncropped batch): the unmasked kernel is the same and cheaper.
    if (smallValid.all().item<bool>()) smallValid = torch::Tensor();
  }

  const std::vector<NeighbourOffset> offsets = stencilOffsets(options.dilations, false);
  torch::Tensor kernel = refinementKernel(small, smallValid, offsets, options);
  const torch::Tensor total = kernel.sum(1, true);
  kernel = kernel / total.clamp_min(1e-12);
  // A pixel outside the valid area, or without a valid neighbour, keeps its value.
  torch::Tensor fixed = total.le(0);
  if (smallValid.defined()) fixed = fixed | smallValid.logical_not();

  // m_i ← Σ_j α_ij m_j with Σ_j α_ij = 1: the weighted mean of the neighbours, so a constant
  // map stays that constant (to float rounding).
  const bool anyFixed = fixed.any().item<bool>();
  for (int64_t iteration = 0; iteration < options.iterations; ++iteration) {
    torch::Tensor next = weightedNeighbourSum(current, kernel, offsets);
    current = anyFixed ? torch::where(fixed, current, next) : next;
  }
  return resizeMaps(current, maps.size(2), maps.size(3));
}

torch::Tensor refinePresentClasses(const torch::Tensor& image, const torch::Tensor& maps,
                                   const torch::Tensor& labels, const torch::Tensor& valid,
                                   const ImageRefinementOptions& options) {
  WSSS_CHECK(labels.dim() == 2 && labels.size(0) == maps.size(0) && labels.size(1) == maps.size(1),
             "refinement: labels ", labels.sizes(), " do not fit maps ", maps.sizes());
  const torch::Tensor present = labels.to(maps.device()).gt(0);
  const int64_t slots = present.sum(1).max().item<int64_t>();
  torch::Tensor refined = torch::zeros(maps.sizes(), maps.options().dtype(torch::kFloat32));
  if (slots == 0) return refined;
  // Present classes first in each row; an image with fewer takes some absent (zero) maps along.
  const torch::Tensor order =
      present.to(torch::kFloat32).argsort(1, /*descending=*/true).narrow(1, 0, slots);
  const torch::Tensor index =
      order.view({order.size(0), slots, 1, 1}).expand({-1, -1, maps.size(2), maps.size(3)});
  const torch::Tensor gathered = maps.to(torch::kFloat32).gather(1, index);
  const torch::Tensor result = refineWithImage(image, gathered, valid, options);
  const torch::Tensor keep =
      present.gather(1, order).to(torch::kFloat32).unsqueeze(-1).unsqueeze(-1);
  return refined.scatter_(1, index, result * keep);
}

}  // namespace wsss
