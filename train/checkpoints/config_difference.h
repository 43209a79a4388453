#pragma once
// How two experiment configs differ, key by key: resume and eval refuse a checkpoint whose
// config differs in a way that changes the network.
#include <string>
#include <vector>

namespace wsss {

struct ExperimentConfig;

struct ConfigChange {
  std::string key;  // dotted path, e.g. model.backbone
  std::string before;
  std::string after;
  bool changesModel = false;  // the network's shape or classes differ
};

std::vector<ConfigChange> configChanges(const ExperimentConfig& before,
                                        const ExperimentConfig& after);

// The same changes, split into those that change the network and the rest.
struct ConfigComparison {
  std::vector<ConfigChange> network;
  std::vector<ConfigChange> other;
};
ConfigComparison compareConfigs(const ExperimentConfig& before, const ExperimentConfig& after);

// "model.backbone: resnet50 -> resnet18, data.classes: [...] -> [...]"
std::string describeChanges(const std::vector<ConfigChange>& changes);

}  // namespace wsss
