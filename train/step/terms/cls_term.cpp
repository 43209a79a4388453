// L_cls (METHODS §0): the multilabel soft-margin loss of the image logits on the image labels.
#include "losses/classification_loss.h"
#include "train/experiment_config.h"
#include "train/step/loss_term.h"
#include "train/step/step_context.h"

namespace wsss {

LossTerm classificationTerm() {
  LossTerm term;
  term.name = "cls";
  term.section = "cls";
  term.inBaseline = true;
  term.enabled = [](const ExperimentConfig& config) { return config.cls.weight > 0; };
  term.weight = [](const ExperimentConfig& config) { return config.cls.weight; };
  term.compute = [](StepContext& step) {
    return multilabelSoftMarginLoss(step.outputs.logits, step.batch.labels);
  };
  return term;
}

}  // namespace wsss
