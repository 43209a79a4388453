#include "train/run_device.h"

#include <ATen/Context.h>
#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <cstdlib>

#include "core/error.h"

namespace wsss {

torch::Device resolveDevice(DeviceChoice choice) {
  if (choice == DeviceChoice::Cpu) return torch::kCPU;
  const bool gpu = torch::cuda::is_available();
  if (choice == DeviceChoice::Cuda) {
    WSSS_CHECK(gpu,
               "device: cuda was asked for but no CUDA GPU is visible; set device: cpu "
               "(or auto) or run on a machine with a GPU");
    return torch::Device(torch::kCUDA, 0);
  }
  return gpu ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

void useDeterministicAlgorithms(bool deterministic) {
  if (deterministic) {
    // cuBLAS is deterministic only with a fixed workspace per stream; read when its handle is
    // made, so before the first product.
    ::setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
  }
  at::globalContext().setDeterministicAlgorithms(deterministic, /*warn_only=*/false);
  at::globalContext().setDeterministicCuDNN(deterministic);
  // cuDNN's benchmark mode stays off either way: it autotunes every new input shape, and an
  // evaluation over images of many sizes then spent 35 s on 40 images that take 2 s without it
  // (toy val, H200).
  at::globalContext().setBenchmarkCuDNN(false);
}

AutocastScope::AutocastScope(const torch::Device& device, bool enabled) {
  if (!enabled || !device.is_cuda()) return;
  active_ = true;
  previousEnabled_ = at::autocast::is_autocast_enabled(at::kCUDA);
  previousType_ = at::autocast::get_autocast_dtype(at::kCUDA);
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  at::autocast::set_autocast_enabled(at::kCUDA, previousEnabled_);
  at::autocast::set_autocast_dtype(at::kCUDA, previousType_);
  // Cached casts of the weights belong to this step only.
  at::autocast::clear_cache();
}

}  // namespace wsss
