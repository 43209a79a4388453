#include "train/pseudo/point_masks.h"

#include <torch/torch.h>

#include <cmath>

#include "core/class_maps.h"
#include "core/config/option_table.h"
#include "core/error.h"
#include "losses/loss_warmup.h"

namespace wsss {

void PointOptions::describe(OptionTable& table) {
  table.field("weight", weight, "weight of L_point, the CE at the clicked pixels").atLeast(0);
  table.field("radius", radius, "the disc each click labels, in pixels of the augmented image")
      .atLeast(0);
  table.field("mask_weight", maskWeight, "weight of L_pm, the CE on the click pseudo-masks")
      .atLeast(0);
  describeWarmup(table, warmupIters, "L_pm");
  table.field("balanced", balanced,
              "L_pm: average background and foreground pixels apart, ½ each (false: one mean)");
  table.field("sigma", sigma,
              "σ of the spatial filter exp(-d²/2σ²) as a fraction of the image's diagonal "
              "(0: no spatial filter)")
      .atLeast(0);
  table.field("refine", refine,
              "refine the decoder features with the image (the refine: operator) before "
              "comparing them with the clicks'");
  table.field("high_threshold", highThreshold, "a pixel takes its top class at or above this")
      .atLeast(0)
      .atMost(1);
  table.field("margin", margin, "... when the top class beats the runner-up by this").atLeast(0);
  table.field("low_threshold", lowThreshold, "background where every clicked class is below this")
      .atLeast(0)
      .atMost(1)
      .rule([this] {
        return lowThreshold <= highThreshold ? std::string()
                                             : "must not exceed point.high_threshold (" +
                                                   std::to_string(highThreshold) + ")";
      });
}

int64_t PointOptions::warmupFor(int64_t iterations) const {
  return warmupSteps(warmupIters, iterations);
}

namespace {

// Pixel centres of a side of `cells` cells over `pixels` image pixels, in image pixels.
torch::Tensor cellCentres(int64_t cells, int64_t pixels, const torch::Device& device) {
  const double step = static_cast<double>(pixels) / static_cast<double>(cells);
  return (torch::arange(cells, torch::TensorOptions(torch::kFloat32).device(device)) + 0.5) *
             step -
         0.5;
}

}  // namespace

PointScores pointScores(const torch::Tensor& embedding, const torch::Tensor& points,
                        const torch::Tensor& image, const torch::Tensor& valid,
                        int64_t numClasses, const PointOptions& options,
                        const ImageRefinementOptions& refinement) {
  torch::NoGradGuard noGrad;
  WSSS_CHECK(embedding.defined() && embedding.dim() == 4,
             "point pseudo-masks need the decoder features (B x D x h x w): run the "
             "segmentation head");
  WSSS_CHECK(image.dim() == 4 && image.size(0) == embedding.size(0),
             "point pseudo-masks: image ", image.sizes(), " does not fit features ",
             embedding.sizes());
  const int64_t batch = embedding.size(0), cells = embedding.size(2) * embedding.size(3);
  const int64_t height = image.size(2), width = image.size(3);
  const int64_t rowsOfE = embedding.size(2), columnsOfE = embedding.size(3);
  const torch::Device device = embedding.device();
  const auto floats = torch::TensorOptions(torch::kFloat32).device(device);

  PointScores out;
  out.scores = torch::zeros({batch, numClasses, height, width}, floats);
  out.background = torch::zeros({batch, 1, height, width}, floats);
  if (!points.defined() || points.size(0) == 0) return out;
  WSSS_CHECK(points.dim() == 2 && points.size(1) == 5,
             "point pseudo-masks: points must be N x 5 [batch, y, x, cls, rank], got ",
             points.sizes());

  const torch::Tensor features = torch::nn::functional::normalize(
      embedding.detach().to(torch::kFloat32),
      torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-6));

  // The clicks sorted by image, each given a slot among its image's clicks, so that all of an
  // image's clicks are compared with its features in one product.
  const torch::Tensor rows = points.to(device, torch::kFloat32);
  const torch::Tensor order =
      torch::argsort(rows.select(1, 0), /*stable=*/true, /*dim=*/0, /*descending=*/false);
  const torch::Tensor sorted = rows.index_select(0, order);
  const torch::Tensor owner = sorted.select(1, 0).to(torch::kInt64);
  const torch::Tensor counts = torch::bincount(owner, {}, batch);
  const int64_t slots = counts.max().item<int64_t>();
  const torch::Tensor first = counts.cumsum(0) - counts;
  const torch::Tensor slot =
      torch::arange(owner.size(0), owner.options()) - first.index_select(0, owner);

  const torch::Tensor y = sorted.select(1, 1), x = sorted.select(1, 2);
  const torch::Tensor cls = sorted.select(1, 3).to(torch::kInt64);
  WSSS_CHECK(!(cls.lt(0) | cls.gt(numClasses)).any().item<bool>(),
             "point pseudo-masks: a click's class is outside 0..", numClasses);
  // E at each click: the feature cell holding the click's pixel.
  const double rowScale = static_cast<double>(rowsOfE) / static_cast<double>(height);
  const double columnScale = static_cast<double>(columnsOfE) / static_cast<double>(width);
  const torch::Tensor row = ((y + 0.5) * rowScale).floor().clamp(0, rowsOfE - 1);
  const torch::Tensor column = ((x + 0.5) * columnScale).floor().clamp(0, columnsOfE - 1);
  const torch::Tensor flat = features.flatten(2);  // B x D x hw
  const torch::Tensor cell = (row * columnsOfE + column).to(torch::kInt64);
  const torch::Tensor atClick =
      flat.permute({0, 2, 1}).reshape({batch * cells, -1}).index_select(0, owner * cells + cell);

  // Per image and slot: the click's features, position and class channel (numClasses + 1 is a
  // spare channel for empty slots, dropped below).
  const torch::Tensor place = owner * slots + slot;
  const torch::Tensor clickFeatures =
      torch::zeros({batch * slots, flat.size(1)}, floats).index_copy_(0, place, atClick);
  const torch::Tensor clickY = torch::zeros({batch * slots}, floats).index_copy_(0, place, y);
  const torch::Tensor clickX = torch::zeros({batch * slots}, floats).index_copy_(0, place, x);
  const torch::Tensor channel = torch::full({batch * slots}, numClasses + 1, owner.options())
                                    .index_copy_(0, place, cls);

  // cos(E_i, E_p) for every slot, B x P x h x w.
  torch::Tensor similarity =
      torch::bmm(clickFeatures.view({batch, slots, -1}), flat).view({batch, slots, rowsOfE, columnsOfE});
  if (options.refine) {
    // The operator is linear and weighs every channel alike, so refining E and taking its dot
    // product with E_p is refining the similarity maps: P maps per image instead of D channels.
    ImageRefinementOptions atFeatureSize = refinement;
    atFeatureSize.scale = static_cast<double>(rowsOfE) / static_cast<double>(height);
    similarity = refineWithImage(image, similarity, valid, atFeatureSize);
  }
  if (options.sigma > 0) {
    const double sigma =
        options.sigma * std::sqrt(static_cast<double>(height * height + width * width));
    const torch::Tensor dy = cellCentres(rowsOfE, height, device).view({1, 1, -1, 1}) -
                             clickY.view({batch, slots, 1, 1});
    const torch::Tensor dx = cellCentres(columnsOfE, width, device).view({1, 1, 1, -1}) -
                             clickX.view({batch, slots, 1, 1});
    similarity = similarity * torch::exp(-(dy.square() + dx.square()) / (2.0 * sigma * sigma));
  }

  // S_c = the max over c's clicks; channels without a click stay at 0 (no cosine below 0 counts).
  const torch::Tensor index =
      channel.view({batch, slots, 1, 1}).expand({batch, slots, rowsOfE, columnsOfE});
  const torch::Tensor perClass =
      torch::zeros({batch, numClasses + 2, rowsOfE, columnsOfE}, floats)
          .scatter_reduce(1, index, similarity, "amax", /*include_self=*/true);
  const torch::Tensor resized = resizeMaps(perClass.narrow(1, 0, numClasses + 1), height, width);
  out.background = resized.narrow(1, 0, 1).contiguous();
  out.scores = resized.narrow(1, 1, numClasses).contiguous();
  return out;
}

}  // namespace wsss
