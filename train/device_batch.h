#pragma once
// A loader batch moved to the run's device: the image in the network's memory format, the
// rest as they are.
#include <torch/types.h>

#include "data/batch.h"

namespace wsss {

Batch batchToDevice(const Batch& batch, const torch::Device& device, bool channelsLast);

}  // namespace wsss
