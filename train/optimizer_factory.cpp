#include "train/optimizer_factory.h"

namespace wsss {

namespace {

std::vector<torch::Tensor> trainable(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> kept;
  for (const auto& parameter : parameters) {
    if (parameter.requires_grad()) kept.push_back(parameter);
  }
  return kept;
}

}  // namespace

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(WsssNetwork& network,
                                                       const TrainOptions& options) {
  const double headLr = options.lr * options.headLrScale;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (options.optimizer == "sgd") {
    auto settings = [&](double lr) {
      return std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(lr)
                                                            .momentum(options.momentum)
                                                            .weight_decay(options.weightDecay));
    };
    groups.emplace_back(trainable(network->backboneParameters()), settings(options.lr));
    groups.emplace_back(trainable(network->headParameters()), settings(headLr));
    return std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(options.lr));
  }
  auto settings = [&](double lr) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(lr).weight_decay(options.weightDecay));
  };
  groups.emplace_back(trainable(network->backboneParameters()), settings(options.lr));
  groups.emplace_back(trainable(network->headParameters()), settings(headLr));
  return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(options.lr));
}

}  // namespace wsss
