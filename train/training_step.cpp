#include "train/training_step.h"

#include <torch/torch.h>

#include "core/class_maps.h"
#include "core/error.h"
#include "losses/classification_loss.h"
#include "losses/segmentation_loss.h"
#include "train/experiment_config.h"
#include "train/pseudo_labels.h"
#include "train/run_device.h"
#include "train/selfguided_losses.h"
#include "train/support_losses.h"

namespace wsss {

bool trainsOnMasks(const ExperimentConfig& config) {
  return config.supervision == "full" || config.supervision == "pseudo_dir";
}

bool segmentationActive(const ExperimentConfig& config, int64_t iteration) {
  if (config.seg.weight <= 0) return false;
  if (trainsOnMasks(config)) return true;
  return iteration >= config.seg.warmupFor(config.train.iterations);
}

namespace {

// Whether step `iteration` trains the CAM on its pseudo-labels (after the L_seg warm-up, so
// that the CAM first learns from the image labels alone).
bool camTargetActive(const ExperimentConfig& config, int64_t iteration) {
  return config.selfguided.camTarget && !trainsOnMasks(config) &&
         iteration >= config.seg.warmupFor(config.train.iterations);
}

bool readsPseudoLabels(const ExperimentConfig& config, int64_t iteration) {
  return (!trainsOnMasks(config) && segmentationActive(config, iteration)) ||
         camTargetActive(config, iteration);
}

bool readsSupport(const ExperimentConfig& config, int64_t iteration) {
  const bool supportLabels =
      config.pseudo.source == "support" && readsPseudoLabels(config, iteration);
  return config.rcm.enabled || config.mam.enabled || supportLabels;
}

void addTerm(LossTerms& losses, const std::string& name, const torch::Tensor& term, double weight) {
  losses.terms.emplace_back(name, term);
  losses.total = losses.total.defined() ? losses.total + weight * term : weight * term;
}

torch::Tensor pseudoLabels(const NetworkOutputs& outputs, const SupportMaps& support,
                           const Batch& batch, const ExperimentConfig& config) {
  PseudoLabelInputs inputs;
  inputs.cam = outputs.cam;
  inputs.supportScores = support.scores;
  inputs.labels = batch.labels;
  inputs.image = batch.image;
  inputs.cropBox = batch.cropBox;
  inputs.height = batch.image.size(2);
  inputs.width = batch.image.size(3);
  return makePseudoTargets(inputs, config.pseudo, config.refine).segLabel;
}

torch::Tensor maskTarget(const Batch& batch, const ExperimentConfig& config) {
  WSSS_CHECK(batch.mask.defined(), "supervision: ", config.supervision,
             config.supervision == "full"
                 ? " needs ground-truth masks, but the training split has none (data.mask_dirs)"
                 : " found no pseudo-label PNGs in pseudo.dir " + config.pseudo.dir);
  return batch.mask;
}

}  // namespace

LossTerms forwardLosses(TrainingModels& models, const Batch& batch, const ExperimentConfig& config,
                        int64_t iteration, const torch::Device& device) {
  AutocastScope autocast(device, config.train.amp);
  const bool withSegmentation = segmentationActive(config, iteration);
  const NetworkOutputs outputs = models.network->forward(batch.image, withSegmentation);
  SupportMaps support;
  if (readsSupport(config, iteration)) {
    WSSS_CHECK(models.support, "this step reads SupportNet, but support.mode is off");
    support = supportMaps(*models.support, batch.image, batch.labels);
  }

  LossTerms losses;
  addTerm(losses, "cls", multilabelSoftMarginLoss(outputs.logits, batch.labels), config.cls.weight);
  if (config.rcm.enabled) {
    addTerm(losses, "rcm", rcmTerm(outputs.embed, support, batch, config.rcm, models.memory),
            config.rcm.weight);
  }
  if (config.mam.enabled) {
    addTerm(losses, "mam", mamTerm(models.network, outputs.cam, support, batch, config.mam),
            config.mam.weight);
  }
  if (config.affc.enabled) {
    addTerm(losses, "affc", affinityConsistencyTerm(outputs, batch, config.affc),
            config.affc.weight);
  }
  // The step's pseudo-labels, made once for every loss that reads them.
  const torch::Tensor pseudo = readsPseudoLabels(config, iteration)
                                   ? pseudoLabels(outputs, support, batch, config)
                                   : torch::Tensor();
  if (withSegmentation) {
    WSSS_CHECK(outputs.seg.defined(), "the segmentation head produced no output at step ",
               iteration + 1);
    const torch::Tensor target = trainsOnMasks(config) ? maskTarget(batch, config) : pseudo;
    const torch::Tensor logits =
        resizeMaps(outputs.seg.to(torch::kFloat32), batch.image.size(2), batch.image.size(3));
    addTerm(losses, "seg", segmentationLoss(logits, target, config.seg.balanced),
            config.seg.weight);
  }
  if (camTargetActive(config, iteration)) {
    addTerm(losses, "cam_target", camTargetTerm(outputs, batch, pseudo, config.seg.balanced),
            config.selfguided.camTargetWeight);
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
