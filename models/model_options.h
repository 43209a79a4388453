#pragma once
// Options of the network: the `model:` section of a config.
#include <cstdint>
#include <string>
#include <vector>

#include "core/config/choice.h"

namespace wsss {

class OptionTable;

// frozen keeps a ResNet's BatchNorm statistics and affine parameters fixed.
enum class BatchNormMode { Frozen, Trainable };
inline const ChoiceNames<BatchNormMode>& choiceNames(BatchNormMode) {
  static const ChoiceNames<BatchNormMode> names = {{BatchNormMode::Frozen, "frozen"},
                                                   {BatchNormMode::Trainable, "trainable"}};
  return names;
}

// Which head makes the CAM: MainNet's 1x1 classifier, or D2CAM's prototypes (METHODS §4).
enum class CamHeadKind { Cam, D2cam };
inline const ChoiceNames<CamHeadKind>& choiceNames(CamHeadKind) {
  static const ChoiceNames<CamHeadKind> names = {{CamHeadKind::Cam, "cam"},
                                                 {CamHeadKind::D2cam, "d2cam"}};
  return names;
}

// The D2CAM head's shape (the `d2cam:` section, with its loss weights; d2cam_head.h).
struct D2camOptions {
  int64_t backgroundPrototypes = 4;  // K
  double scale = 10.0;               // s of the image logits
  double topFraction = 0.1;          // the share of pixels the logits average
  double temperature = 0.1;          // τ of P_c
  double separationWeight = 1.0;     // w of L_sep (prototypes apart)
  double exclusionWeight = 1.0;      // w of L_ex (one class per pixel)
  double fgbgWeight = 0.0;           // w of L_fgbg [ours] (the background prototypes' training)
  void describe(OptionTable& table);
};

struct ModelOptions {
  std::string backbone = "resnet50";  // resnet18 | resnet34 | resnet50 | resnet101 | scratch
  int64_t outputStride = 16;          // 8 | 16: stride of the `high` tap (ResNet only)
  BatchNormMode batchNorm = BatchNormMode::Frozen;  // the ResNet backbone's BatchNorm
  bool syncBatchNorm = false;  // under torchrun: trainable BatchNorm over the global batch
  std::string pretrained;     // torchvision state_dict file (torch.save); "" = random
  int64_t embedDim = 256;     // MainNet embedding width D
  int64_t scratchWidth = 32;  // base width of the from-scratch backbone
  int64_t segChannels = 256;  // ASPP and decoder width of the segmentation head
  std::vector<int64_t> asppRates = {6, 12, 18};  // at output stride 16; doubled at stride 8
  CamHeadKind camHead = CamHeadKind::Cam;
  D2camOptions d2cam;  // described in its own `d2cam:` section by ExperimentConfig
  void describe(OptionTable& table);

  bool isResNet() const { return backbone != "scratch"; }
  // Stride of the `high` tap: the scratch net always ends at stride 8.
  int64_t highStride() const { return isResNet() ? outputStride : 8; }
  // The ASPP dilations at highStride(): the configured rates scaled from stride 16.
  std::vector<int64_t> effectiveAsppRates() const;
};

// The backbone names ModelOptions::backbone accepts, in the order help lists them.
const std::vector<std::string>& knownBackbones();

}  // namespace wsss
