#pragma once
// One loss term of the training step: everything the step and the benchmark need to know of
// it, in one entry. A method adds its terms as entries of standardLossTerms()
// (train/step/loss_terms.cpp), each in a file of its own under train/step/terms/; the step
// iterates the list (docs/ARCHITECTURE.md, "Adding a loss term").
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace wsss {

struct ExperimentConfig;
class StepContext;

// What a term reads beyond MainNet's forward pass; the step makes each only when an active
// term asks, and the data reads saliency maps and clicks only when a term of the run does.
struct LossTermNeeds {
  bool support = false;       // SupportNet's maps of the batch
  bool pseudoLabels = false;  // the step's pseudo-labels (pseudo.source through the refiners)
  bool segmentation = false;  // the segmentation head's output
  bool saliency = false;      // the batch's saliency maps
  bool points = false;        // the batch's clicks
};

struct LossTerm {
  std::string name;     // its key in the losses of metrics.jsonl, the progress line and bench
  std::string section;  // its config section, e.g. "rcm"
  // Whether the config switches the term on at all.
  std::function<bool(const ExperimentConfig&)> enabled;
  // The first step (0-based) it runs at: the end of its warm-up. Null: from the start.
  std::function<int64_t(const ExperimentConfig&)> firstStep;
  // What it reads; null: MainNet's outputs and the batch only.
  std::function<LossTermNeeds(const ExperimentConfig&)> needs;
  std::function<double(const ExperimentConfig&)> weight;
  // The unweighted term, a float32 scalar with gradient.
  std::function<torch::Tensor(StepContext&)> compute;
  // Part of the benchmark's baseline step (cls, seg); any other term can be taken out of it.
  bool inBaseline = false;
  // How its config section switches it off (rcm.enabled: false). Null: by its name, through
  // ExperimentConfig::switchedOffTerms.
  std::function<void(ExperimentConfig&)> switchOff;

  // Enabled by the config and not switched off by name.
  bool isOn(const ExperimentConfig& config) const;
  // On, and past its warm-up at step `iteration` (0-based).
  bool active(const ExperimentConfig& config, int64_t iteration) const;
  // Switches it off in `config` (switchOff, or by name).
  void switchOffIn(ExperimentConfig& config) const;
  LossTermNeeds needsIn(const ExperimentConfig& config) const;
};

// The step's terms in the order they are summed.
using LossTermList = std::vector<LossTerm>;

// Every term of the shipped methods, in order: cls, rcm, mam, affc, seg, aamr, cam_target,
// point, pm, sep, ex.
LossTermList standardLossTerms();

// Whether a term active at step `iteration` needs what `wanted` picks out.
bool activeTermNeeds(const LossTermList& terms, const ExperimentConfig& config, int64_t iteration,
                     bool LossTermNeeds::*wanted);

// The name of the first term the config enables that needs what `wanted` picks out ("" when
// none): the data reads saliency maps and clicks by this, and names the term when they are
// missing.
std::string firstEnabledTermNeeding(const LossTermList& terms, const ExperimentConfig& config,
                                    bool LossTermNeeds::*wanted);

}  // namespace wsss
