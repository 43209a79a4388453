#include "train/training_models.h"

#include "train/experiment_config.h"

namespace wsss {

std::vector<CheckpointPart> TrainingModels::checkpointParts() {
  std::vector<CheckpointPart> parts;
  if (support && support->ownWeights()) parts.push_back({"support", support->ownWeights()});
  if (!memory.is_empty()) parts.push_back({"prototype_memory", memory.get()});
  return parts;
}

void TrainingModels::afterOptimizerStep() {
  if (support) support->update();
}

TrainingModels buildTrainingModels(const ExperimentConfig& config, int64_t numClasses,
                                   const torch::Device& device, bool loadPretrained) {
  TrainingModels models;
  ModelOptions model = config.model;
  if (!loadPretrained) model.pretrained.clear();
  models.network = WsssNetwork(model, numClasses);
  models.network->to(device);
  if (device.is_cuda() && config.train.channelsLast) {
    models.network->to(torch::MemoryFormat::ChannelsLast);
  }
  models.network->train();
  if (config.support.enabled()) {
    models.support = std::make_unique<SupportNet>(models.network, config.support);
  }
  if (config.rcm.enabled && config.rcm.memory > 0) {
    models.memory = PrototypeMemory(numClasses + 1, config.rcm.memory, config.model.embedDim);
    models.memory->to(device);
  }
  return models;
}

}  // namespace wsss
