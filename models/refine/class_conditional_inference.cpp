#include "models/refine/class_conditional_inference.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/class_maps.h"
#include "core/config/option_table.h"
#include "core/error.h"

namespace wsss {

void CciOptions::describe(OptionTable& table) {
  table.choice("mode", mode,
               "class: one erase mask and re-inference per present class; agnostic: one erase "
               "mask for all classes (the released code); off: the multi-scale CAM alone");
  table.field("split", split, "split the image into four crops around the objects' centre");
  table
      .field("buffers", buffers,
             "how far each crop reaches past the centre, in pixels, for one and for two classes")
      .atLeast(0);
  table.field("rounds", rounds, "erase-and-infer-again rounds after the first pass").atLeast(0);
  table.field("erase_threshold", eraseThreshold, "a pixel whose map reaches this is erased")
      .positive()
      .atMost(1);
  table
      .field("stop_fraction", stopFraction,
             "stop once a round erases less than this fraction of the crop anew")
      .atLeast(0)
      .atMost(1);
  table.field("scales", scales, "image scales whose CAMs F(x) sums").positive().nonEmpty();
  table.field("flip", flip, "F(x) also sums the mirrored images' CAMs");
}

torch::Tensor multiScaleClassMaps(const ClassMapFunction& classMaps, const torch::Tensor& images,
                                  const torch::Tensor& labels, const torch::Tensor& valid,
                                  const std::vector<double>& scales, bool flip) {
  WSSS_CHECK(images.dim() == 4 && images.size(1) == 3 && labels.dim() == 2 &&
                 labels.size(0) == images.size(0),
             "class-conditional inference: images ", images.sizes(), " and labels ", labels.sizes(),
             " must be N x 3 x h x w and N x C");
  WSSS_CHECK(!scales.empty(), "class-conditional inference: cci.scales is empty");
  torch::NoGradGuard noGrad;
  const int64_t count = images.size(0);
  const int64_t height = images.size(2);
  const int64_t width = images.size(3);
  torch::Tensor sum;
  for (const double scale : scales) {
    WSSS_CHECK(scale > 0, "class-conditional inference: scale ", scale, " is not positive");
    torch::Tensor scaled = resizeMaps(images, scaledSide(height, scale), scaledSide(width, scale));
    // The mirror is made from the (already erased) image itself, so an erase mask always
    // lines up with the pixels it was computed on.
    if (flip) scaled = torch::cat({scaled, scaled.flip({3})});
    torch::Tensor maps = classMaps(scaled);
    WSSS_CHECK(maps.dim() == 4 && maps.size(0) == scaled.size(0) && maps.size(1) == labels.size(1),
               "class-conditional inference: the classifier returned maps ", maps.sizes(), " for ",
               scaled.size(0), " images of ", labels.size(1), " classes");
    maps = resizeMaps(torch::relu(maps.to(torch::kFloat32)), height, width);
    if (flip) maps = maps.narrow(0, 0, count) + maps.narrow(0, count, count).flip({3});
    sum = sum.defined() ? sum + maps : maps;
  }
  if (valid.defined()) sum = sum * valid.to(torch::kFloat32);
  return normaliseClassMaps(sum, labels);
}

std::vector<std::array<int64_t, 4>> cciCropBoxes(int64_t height, int64_t width,
                                                 const std::vector<std::array<double, 2>>& centres,
                                                 const std::vector<int64_t>& buffers) {
  const size_t classes = centres.size();
  if (classes == 0 || classes > 2 || buffers.size() < classes) return {{0, 0, height, width}};
  double row = 0, col = 0;
  for (const auto& centre : centres) {
    row += centre[0] / static_cast<double>(classes);
    col += centre[1] / static_cast<double>(classes);
  }
  const int64_t buffer = buffers[classes - 1];
  const int64_t centreRow = std::clamp<int64_t>(std::lround(row), 0, height - 1);
  const int64_t centreCol = std::clamp<int64_t>(std::lround(col), 0, width - 1);
  // Each quadrant reaches `buffer` pixels past the centre pixel and is clipped to the image,
  // so a centre near an edge gives thinner crops, never ones that wrap or fall outside.
  const int64_t above = std::min(height, centreRow + 1 + buffer);
  const int64_t below = std::max<int64_t>(0, centreRow - buffer);
  const int64_t left = std::min(width, centreCol + 1 + buffer);
  const int64_t right = std::max<int64_t>(0, centreCol - buffer);
  std::vector<std::array<int64_t, 4>> boxes;
  for (const std::array<int64_t, 4>& box :
       {std::array<int64_t, 4>{0, 0, above, left}, std::array<int64_t, 4>{0, right, above, width},
        std::array<int64_t, 4>{below, 0, height, left},
        std::array<int64_t, 4>{below, right, height, width}}) {
    if (std::find(boxes.begin(), boxes.end(), box) == boxes.end()) boxes.push_back(box);
  }
  return boxes;
}

namespace {

// Centres of mass (row, col) of the present classes' maps (C x H x W), in class order.
std::vector<std::array<double, 2>> centresOfMass(const torch::Tensor& maps,
                                                 const torch::Tensor& present) {
  const int64_t height = maps.size(1);
  const int64_t width = maps.size(2);
  const torch::Tensor mass = maps.sum({1, 2}).clamp_min(1e-12);
  const auto rows = torch::arange(height, maps.options()).view({1, height, 1});
  const auto cols = torch::arange(width, maps.options()).view({1, 1, width});
  const torch::Tensor centres =
      torch::stack({(maps * rows).sum({1, 2}) / mass, (maps * cols).sum({1, 2}) / mass}, 1)
          .index({present})
          .to(torch::kCPU, torch::kFloat64)
          .contiguous();
  std::vector<std::array<double, 2>> list;
  const double* value = centres.data_ptr<double>();
  for (int64_t index = 0; index < centres.size(0); ++index) {
    list.push_back({value[2 * index], value[2 * index + 1]});
  }
  return list;
}

// The crops of `image` (3 x H x W) stacked at the largest crop's size, top-left aligned and
// padded with 0 (the normalised mean colour), with masks of their real pixels.
struct CropBatch {
  torch::Tensor images;  // K x 3 x h x w
  torch::Tensor valid;   // K x 1 x h x w bool
};

CropBatch cropBatch(const torch::Tensor& image, const std::vector<std::array<int64_t, 4>>& boxes) {
  int64_t height = 0, width = 0;
  for (const auto& box : boxes) {
    height = std::max(height, box[2] - box[0]);
    width = std::max(width, box[3] - box[1]);
  }
  const auto count = static_cast<int64_t>(boxes.size());
  CropBatch batch;
  batch.images = torch::zeros({count, 3, height, width}, image.options());
  batch.valid = torch::zeros({count, 1, height, width}, image.options().dtype(torch::kBool));
  for (int64_t k = 0; k < count; ++k) {
    const auto& box = boxes[static_cast<size_t>(k)];
    const int64_t rows = box[2] - box[0];
    const int64_t cols = box[3] - box[1];
    batch.images[k]
        .narrow(1, 0, rows)
        .narrow(2, 0, cols)
        .copy_(image.narrow(1, box[0], rows).narrow(2, box[1], cols));
    batch.valid[k].narrow(1, 0, rows).narrow(2, 0, cols).fill_(true);
  }
  return batch;
}

}  // namespace

torch::Tensor classConditionalMaps(const ClassMapFunction& classMaps, const torch::Tensor& image,
                                   const torch::Tensor& labels, const CciOptions& options) {
  WSSS_CHECK(image.dim() == 3 && image.size(0) == 3 && labels.dim() == 1,
             "class-conditional inference: image ", image.sizes(), " and labels ", labels.sizes(),
             " must be 3 x H x W and C");
  torch::NoGradGuard noGrad;
  const int64_t height = image.size(1);
  const int64_t width = image.size(2);
  const int64_t numClasses = labels.size(0);
  const torch::Tensor imageLabels = labels.to(image.device(), torch::kFloat32).unsqueeze(0);
  const torch::Tensor present = imageLabels[0] > 0;
  const auto whole = [&](const torch::Tensor& images, const torch::Tensor& valid,
                         const torch::Tensor& unitLabels) {
    return multiScaleClassMaps(classMaps, images, unitLabels, valid, options.scales, options.flip);
  };
  const torch::Tensor imageMaps = whole(image.unsqueeze(0), torch::Tensor(), imageLabels)[0];
  if (options.mode == CciMode::Off) return imageMaps;

  std::vector<std::array<int64_t, 4>> boxes{{0, 0, height, width}};
  if (options.split) {
    boxes = cciCropBoxes(height, width, centresOfMass(imageMaps, present), options.buffers);
  }
  const CropBatch crops = cropBatch(image, boxes);
  const auto cropCount = static_cast<int64_t>(boxes.size());
  const torch::Tensor cropLabels = imageLabels.expand({cropCount, numClasses});
  const torch::Tensor cropMaps =
      boxes.size() == 1 ? imageMaps.unsqueeze(0) : whole(crops.images, crops.valid, cropLabels);

  // The units that erase and ask again: every crop once (agnostic), or every crop with every
  // present class (class), each reading and growing only its own classes' maps.
  torch::Tensor unitCrop, unitClasses;  // U crop indices; U x C selection of classes
  if (options.mode == CciMode::Agnostic) {
    unitCrop = torch::arange(cropCount, torch::TensorOptions().dtype(torch::kLong));
    unitClasses = cropLabels;
  } else {
    const torch::Tensor classes = present.nonzero().squeeze(1).cpu();
    const int64_t presentCount = classes.size(0);
    unitCrop = torch::arange(cropCount, torch::TensorOptions().dtype(torch::kLong))
                   .repeat_interleave(presentCount);
    unitClasses =
        torch::one_hot(classes.repeat({cropCount}), numClasses).to(image.device(), torch::kFloat32);
  }
  unitCrop = unitCrop.to(image.device());
  const torch::Tensor unitImages = crops.images.index_select(0, unitCrop);
  const torch::Tensor unitValid = crops.valid.index_select(0, unitCrop);
  const torch::Tensor selected = unitClasses.unsqueeze(-1).unsqueeze(-1);
  torch::Tensor found = cropMaps.index_select(0, unitCrop) * selected;
  torch::Tensor erased = torch::zeros_like(unitValid);
  torch::Tensor active = torch::ones({unitCrop.size(0)}, unitValid.options());
  const torch::Tensor area = unitValid.flatten(1).sum(1).to(torch::kFloat32).clamp_min(1);
  // The image's own mean colour fills the erased pixels: the classifier sees "nothing here".
  const torch::Tensor meanColour = image.mean({1, 2}).view({1, 3, 1, 1});

  for (int64_t round = 0; round < options.rounds && unitCrop.size(0) > 0; ++round) {
    const torch::Tensor eraseMask =
        (std::get<0>(found.max(1, true)) >= options.eraseThreshold) & unitValid;
    const torch::Tensor fresh =
        (eraseMask & erased.logical_not()).flatten(1).sum(1).to(torch::kFloat32) / area;
    active = active & (fresh >= options.stopFraction);
    const torch::Tensor asking = active.nonzero().squeeze(1);
    if (asking.size(0) == 0) break;
    erased = erased | eraseMask;
    const torch::Tensor inputs = torch::where(erased.index_select(0, asking), meanColour,
                                              unitImages.index_select(0, asking));
    const torch::Tensor revealed =
        whole(inputs, unitValid.index_select(0, asking), unitClasses.index_select(0, asking));
    found.index_copy_(
        0, asking,
        torch::maximum(found.index_select(0, asking), revealed * selected.index_select(0, asking)));
  }

  // Each crop's maps are its units' selected classes put together; the crops are pasted back
  // into the image and the maximum taken where they overlap.
  const torch::Tensor perCrop = torch::zeros_like(cropMaps).index_add_(0, unitCrop, found);
  torch::Tensor merged = torch::zeros({numClasses, height, width}, cropMaps.options());
  for (int64_t k = 0; k < cropCount; ++k) {
    const auto& box = boxes[static_cast<size_t>(k)];
    const int64_t rows = box[2] - box[0];
    const int64_t cols = box[3] - box[1];
    auto target = merged.narrow(1, box[0], rows).narrow(2, box[1], cols);
    target.copy_(torch::maximum(target, perCrop[k].narrow(1, 0, rows).narrow(2, 0, cols)));
  }
  return merged;
}

}  // namespace wsss
