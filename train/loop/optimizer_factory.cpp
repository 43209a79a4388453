#include "train/loop/optimizer_factory.h"

namespace wsss {

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(WsssNetwork& network,
                                                       const TrainOptions& options) {
  const double headLr = options.lr * options.headLrScale;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (options.optimizer == OptimizerKind::Sgd) {
    auto settings = [&](double lr) {
      return std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(lr)
                                                            .momentum(options.momentum)
                                                            .weight_decay(options.weightDecay));
    };
    groups.emplace_back(network->backboneParameters(), settings(options.lr));
    groups.emplace_back(network->headParameters(), settings(headLr));
    return std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(options.lr));
  }
  auto settings = [&](double lr) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(lr).weight_decay(options.weightDecay));
  };
  groups.emplace_back(network->backboneParameters(), settings(options.lr));
  groups.emplace_back(network->headParameters(), settings(headLr));
  return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(options.lr));
}

}  // namespace wsss
