#include "train/checkpoints/config_difference.h"

#include <map>

#include "core/config/option_table.h"
#include "train/experiment_config.h"

namespace wsss {

namespace {

std::map<std::string, std::string> flatten(const ExperimentConfig& config) {
  ExperimentConfig copy = config;
  OptionTable table;
  copy.describe(table);
  std::map<std::string, std::string> values;
  for (const auto& field : table.fields()) values[field->path()] = field->valueText();
  return values;
}

// Keys that decide the network's parameters: its options, and the classes it predicts.
// model.pretrained only sets the starting weights, which a checkpoint replaces.
bool changesModel(const std::string& key) {
  if (key == "model.pretrained") return false;
  // How BatchNorm's statistics are gathered across ranks leaves the parameters as they are.
  if (key == "model.sync_batch_norm") return false;
  return key.rfind("model.", 0) == 0 || key == "data.classes" || key == "d2cam.bg_prototypes";
}

}  // namespace

std::vector<ConfigChange> configChanges(const ExperimentConfig& before,
                                        const ExperimentConfig& after) {
  const auto oldValues = flatten(before);
  const auto newValues = flatten(after);
  std::vector<ConfigChange> changes;
  for (const auto& [key, value] : newValues) {
    const auto found = oldValues.find(key);
    const std::string previous = found == oldValues.end() ? "(absent)" : found->second;
    if (previous != value) changes.push_back({key, previous, value, changesModel(key)});
  }
  return changes;
}

ConfigComparison compareConfigs(const ExperimentConfig& before, const ExperimentConfig& after) {
  ConfigComparison comparison;
  for (ConfigChange& change : configChanges(before, after)) {
    (change.changesModel ? comparison.network : comparison.other).push_back(std::move(change));
  }
  return comparison;
}

std::string describeChanges(const std::vector<ConfigChange>& changes) {
  std::string text;
  for (const ConfigChange& change : changes) {
    text += (text.empty() ? "" : ", ") + change.key + ": " + change.before + " -> " + change.after;
  }
  return text;
}

}  // namespace wsss
