#include "models/model_options.h"

#include "core/config/option_table.h"

namespace wsss {

const std::vector<std::string>& knownBackbones() {
  static const std::vector<std::string> names = {"resnet18", "resnet34", "resnet50", "resnet101",
                                                 "scratch"};
  return names;
}

std::vector<int64_t> ModelOptions::effectiveAsppRates() const {
  // The rates are written for a stride-16 feature map; a map twice as fine needs twice the
  // dilation to cover the same part of the image.
  std::vector<int64_t> rates;
  for (int64_t rate : asppRates) rates.push_back(rate * 16 / highStride());
  return rates;
}

void D2camOptions::describe(OptionTable& table) {
  table.field("bg_prototypes", backgroundPrototypes, "K, the background prototypes").atLeast(1);
  table.field("scale", scale, "s: image logits are s times the top mean of M_c").positive();
  table.field("top_fraction", topFraction, "the share of pixels the image logits average")
      .positive()
      .atMost(1);
  table.field("temperature", temperature, "τ of P_c = σ((cos(f, w_c) − max_k cos(f, b_k)) / τ)")
      .positive();
  table.field("sep_weight", separationWeight,
              "weight of L_sep = Σ_{c≠c'} relu(cos(w_c, w_c'))², which keeps class prototypes apart")
      .atLeast(0);
  table.field("ex_weight", exclusionWeight,
              "weight of L_ex = mean_i Σ_{c≠c' present} P_c(i) P_c'(i), which punishes two present "
              "classes claiming one pixel")
      .atLeast(0);
  table.field("fgbg_weight", fgbgWeight,
              "weight of L_fgbg, the multilabel loss on s times the top mean of P_c's margin "
              "cos(f, w_c) − max_k cos(f, b_k): the only term that trains the background "
              "prototypes towards the background (not in METHODS §4)")
      .atLeast(0);
}

void ModelOptions::describe(OptionTable& table) {
  table.choice("backbone", backbone, knownBackbones(),
               "feature extractor: a ResNet with torchvision's layout, or the small GroupNorm "
               "net trained from scratch (fast on CPU)");
  table
      .field("output_stride", outputStride,
             "stride of the deepest features: 16 dilates layer4, 8 dilates layer3 and layer4 "
             "(ResNet only; the scratch net is always 8)")
      .rule([this] {
        return outputStride == 8 || outputStride == 16 ? std::string()
                                                       : std::string("must be 8 or 16");
      });
  table.choice("batch_norm", batchNorm,
               "ResNet BatchNorm: frozen keeps the running statistics and affine parameters "
               "fixed (eval mode even while training); ignored by the scratch net");
  table.field("sync_batch_norm", syncBatchNorm,
              "under torchrun, every trainable BatchNorm (the segmentation head's; the "
              "ResNet's with batch_norm: trainable) normalises with the statistics of the "
              "global batch, not the rank's share; one process has nothing to synchronise");
  table
      .field("pretrained", pretrained,
             "torchvision state_dict saved with torch.save (see docs/models.md); empty: random "
             "initialisation")
      .rule([this] {
        return !pretrained.empty() && !isResNet()
                   ? std::string(
                         "the scratch backbone has no pretrained weights; set "
                         "model.pretrained to \"\" or pick a resnet backbone")
                   : std::string();
      });
  table.field("embed_dim", embedDim, "width D of the MainNet embedding relu(conv1x1(high))")
      .atLeast(1);
  table.choice("cam_head", camHead,
               "the head that makes the CAM: MainNet's 1x1 classifier, or D2CAM's class and "
               "background prototypes (METHODS §4; the d2cam: section)");
  table
      .field("scratch_width", scratchWidth,
             "base width of the scratch backbone (its stages use 1x, 2x and 4x)")
      .atLeast(4)
      .atMost(1024);
  table.field("seg_channels", segChannels, "width of the segmentation head's ASPP and decoder")
      .atLeast(8);
  table.field("aspp_rates", asppRates, "ASPP dilations at output stride 16 (doubled at stride 8)")
      .length(1, 8)
      .atLeast(1);
}

}  // namespace wsss
