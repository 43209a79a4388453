#include "train/step/training_step.h"

#include <torch/torch.h>

#include "train/experiment_config.h"
#include "train/run_device.h"
#include "train/step/step_context.h"

namespace wsss {

bool segmentationActive(const ExperimentConfig& config, int64_t iteration,
                        const LossTermList& terms) {
  return activeTermNeeds(terms, config, iteration, &LossTermNeeds::segmentation);
}

LossTerms forwardLosses(TrainingModels& models, const Batch& batch, const ExperimentConfig& config,
                        int64_t iteration, const torch::Device& device, const LossTermList& terms,
                        const BatchReduction& reduction) {
  AutocastScope autocast(device, config.train.amp);
  const bool withSegmentation = segmentationActive(config, iteration, terms);
  StepContext step(models, batch, config, iteration,
                   models.network->forward(batch.image, withSegmentation), reduction);
  LossTerms losses;
  for (const LossTerm& term : terms) {
    if (!term.active(config, iteration)) continue;
    const torch::Tensor value = term.compute(step);
    const double weight = term.weight(config);
    losses.terms.emplace_back(term.name, value);
    losses.total = losses.total.defined() ? losses.total + weight * value : weight * value;
  }
  return losses;
}

std::vector<std::pair<std::string, double>> lossValues(const LossTerms& losses) {
  std::vector<torch::Tensor> scalars;
  for (const auto& term : losses.terms) scalars.push_back(term.second.detach().to(torch::kFloat32));
  scalars.push_back(losses.total.detach().to(torch::kFloat32));
  const torch::Tensor host = torch::stack(scalars).to(torch::kCPU, torch::kFloat64);
  const auto* value = host.data_ptr<double>();
  std::vector<std::pair<std::string, double>> values;
  for (size_t index = 0; index < losses.terms.size(); ++index) {
    values.emplace_back(losses.terms[index].first, value[index]);
  }
  values.emplace_back("total", value[losses.terms.size()]);
  return values;
}

}  // namespace wsss
