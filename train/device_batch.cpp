#include "train/device_batch.h"

#include <torch/torch.h>

namespace wsss {

Batch batchToDevice(const Batch& batch, const torch::Device& device, bool channelsLast) {
  auto move = [&](const torch::Tensor& tensor) {
    return tensor.defined() ? tensor.to(device, /*non_blocking=*/true) : tensor;
  };
  Batch moved;
  moved.ids = batch.ids;
  moved.image = move(batch.image);
  if (channelsLast && device.is_cuda()) {
    moved.image = moved.image.contiguous(torch::MemoryFormat::ChannelsLast);
  }
  moved.labels = move(batch.labels);
  moved.mask = move(batch.mask);
  moved.saliency = move(batch.saliency);
  moved.points = move(batch.points);
  moved.cropBox = move(batch.cropBox);
  return moved;
}

}  // namespace wsss
