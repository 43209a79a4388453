#pragma once
// Where a run executes and in what precision: `device: auto | cpu | cuda` and bf16 autocast.
#include <torch/types.h>

#include <string>

#include "core/config/choice.h"

namespace wsss {

enum class DeviceChoice { Auto, Cpu, Cuda };
inline const ChoiceNames<DeviceChoice>& choiceNames(DeviceChoice) {
  static const ChoiceNames<DeviceChoice> names = {
      {DeviceChoice::Auto, "auto"}, {DeviceChoice::Cpu, "cpu"}, {DeviceChoice::Cuda, "cuda"}};
  return names;
}

// auto: CUDA when a GPU is visible, else the CPU. cuda without a GPU is an error that says so.
torch::Device resolveDevice(DeviceChoice choice);

// train.deterministic: deterministic algorithms everywhere (an op without one throws, naming
// itself), deterministic cuDNN, and the cuBLAS workspace setting that deterministic cuBLAS
// needs (CUBLAS_WORKSPACE_CONFIG, unless already set); call before the first CUDA operation.
// cuDNN's autotuning (benchmark mode) is off either way.
void useDeterministicAlgorithms(bool deterministic);

// bf16 autocast on CUDA while alive (does nothing on the CPU or when `enabled` is false);
// the previous autocast state comes back on destruction.
class AutocastScope {
 public:
  AutocastScope(const torch::Device& device, bool enabled);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool previousEnabled_ = false;
  at::ScalarType previousType_ = at::kHalf;
};

}  // namespace wsss
