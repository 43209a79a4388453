#pragma once
// The optimiser of `train.optimizer` over the network's two learning-rate groups: group 0 the
// backbone at train.lr, group 1 the heads at train.lr · train.head_lr_scale. The network's
// groups hold only parameters that require grad (frozen BatchNorm is in neither).
#include <torch/torch.h>

#include <memory>

#include "models/network.h"
#include "train/loop/training_options.h"

namespace wsss {

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(WsssNetwork& network,
                                                       const TrainOptions& options);

}  // namespace wsss
