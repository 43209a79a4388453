#include "train/step/loss_term.h"

#include "train/experiment_config.h"

namespace wsss {

bool LossTerm::isOn(const ExperimentConfig& config) const {
  return enabled(config) && config.switchedOffTerms.count(name) == 0;
}

bool LossTerm::active(const ExperimentConfig& config, int64_t iteration) const {
  return isOn(config) && (!firstStep || iteration >= firstStep(config));
}

void LossTerm::switchOffIn(ExperimentConfig& config) const {
  if (switchOff) {
    switchOff(config);
  } else {
    config.switchedOffTerms.insert(name);
  }
}

LossTermNeeds LossTerm::needsIn(const ExperimentConfig& config) const {
  return needs ? needs(config) : LossTermNeeds();
}

bool activeTermNeeds(const LossTermList& terms, const ExperimentConfig& config, int64_t iteration,
                     bool LossTermNeeds::*wanted) {
  for (const LossTerm& term : terms) {
    if (term.active(config, iteration) && term.needsIn(config).*wanted) return true;
  }
  return false;
}

std::string firstEnabledTermNeeding(const LossTermList& terms, const ExperimentConfig& config,
                                    bool LossTermNeeds::*wanted) {
  for (const LossTerm& term : terms) {
    if (term.isOn(config) && term.needsIn(config).*wanted) return term.name;
  }
  return "";
}

}  // namespace wsss
