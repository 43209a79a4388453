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

struct ModelOptions {
  std::string backbone = "resnet50";  // resnet18 | resnet34 | resnet50 | resnet101 | scratch
  int64_t outputStride = 16;          // 8 | 16: stride of the `high` tap (ResNet only)
  BatchNormMode batchNorm = BatchNormMode::Frozen;  // the ResNet backbone's BatchNorm
  std::string pretrained;     // torchvision state_dict file (torch.save); "" = random
  int64_t embedDim = 256;     // MainNet embedding width D
  int64_t scratchWidth = 32;  // base width of the from-scratch backbone
  int64_t segChannels = 256;  // ASPP and decoder width of the segmentation head
  std::vector<int64_t> asppRates = {6, 12, 18};  // at output stride 16; doubled at stride 8
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
