#include "train/training_step.h"

#include <torch/torch.h>

#include "core/class_maps.h"
#include "core/error.h"
#include "losses/aamr_loss.h"
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
  // With aamr on, L_aamr is what trains the head, so its weight decides whether the head runs.
  const double weight = config.aamr.enabled ? config.aamr.weight : config.seg.weight;
  if (weight <= 0) return false;
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

// L_rcm and L_mam wait out their warm-ups, so that SupportNet, which starts as a copy of the
// untrained MainNet, has CAMs worth copying before they shape MainNet's embedding and CAMs.
bool rcmActive(const ExperimentConfig& config, int64_t iteration) {
  return config.rcm.enabled && iteration >= config.rcm.warmupFor(config.train.iterations);
}

bool mamActive(const ExperimentConfig& config, int64_t iteration) {
  return config.mam.enabled && iteration >= config.mam.warmupFor(config.train.iterations);
}

bool readsSupport(const ExperimentConfig& config, int64_t iteration) {
  const bool supportLabels =
      config.pseudo.source == "support" && readsPseudoLabels(config, iteration);
  return rcmActive(config, iteration) || mamActive(config, iteration) || supportLabels;
}

void addTerm(LossTerms& losses, const std::string& name, const torch::Tensor& term, double weight) {
  losses.terms.emplace_back(name, term);
  losses.total = losses.total.defined() ? losses.total + weight * term : weight * term;
}

PseudoTargets pseudoTargets(const NetworkOutputs& outputs, const SupportMaps& support,
                            const Batch& batch, const ExperimentConfig& config) {
  PseudoLabelInputs inputs;
  inputs.cam = outputs.cam;
  inputs.supportScores = support.scores;
  inputs.labels = batch.labels;
  inputs.image = batch.image;
  inputs.cropBox = batch.cropBox;
  inputs.height = batch.image.size(2);
  inputs.width = batch.image.size(3);
  return makePseudoTargets(inputs, config.pseudo, config.refine);
}

torch::Tensor maskTarget(const Batch& batch, const ExperimentConfig& config) {
  WSSS_CHECK(batch.mask.defined(), "supervision: ", config.supervision,
             config.supervision == "full"
                 ? " needs ground-truth masks, but the training split has none (data.mask_dirs)"
                 : " found no pseudo-label PNGs in pseudo.dir " + config.pseudo.dir);
  return batch.mask;
}

// L_aamr on the pseudo-label engine's maps, so it follows pseudo.source and pseudo.refine; the
// crop box is the valid area.
torch::Tensor aamrTerm(const torch::Tensor& logits, const PseudoTargets& pseudo, const Batch& batch,
                       const ExperimentConfig& config) {
  WSSS_CHECK(!trainsOnMasks(config),
             "aamr builds its target from the CAM, so it needs "
             "supervision image_labels, not ",
             config.supervision);
  WSSS_CHECK(batch.saliency.defined(),
             "aamr is on, but the batch has no saliency maps: read the training split with "
             "trainingDataOptions(config), which reads them from data.saliency_dir");
  torch::Tensor valid;
  if (batch.cropBox.defined()) {
    valid = insideCropBox(batch.cropBox, batch.image.size(2), batch.image.size(3),
                          pseudo.scores.device());
  }
  const AamrTarget target =
      aamrTarget(pseudo.scores, batch.saliency, batch.labels, valid, config.aamr);
  return aamrLoss(logits, target);
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
  if (rcmActive(config, iteration)) {
    addTerm(losses, "rcm", rcmTerm(outputs.embed, support, batch, config.rcm, models.memory),
            config.rcm.weight);
  }
  if (mamActive(config, iteration)) {
    addTerm(losses, "mam", mamTerm(models.network, outputs.cam, support, batch, config.mam),
            config.mam.weight);
  }
  if (config.affc.enabled) {
    addTerm(losses, "affc", affinityConsistencyTerm(outputs, batch, config.affc),
            config.affc.weight);
  }
  // The step's pseudo-labels, made once for every loss that reads them.
  const PseudoTargets pseudo = readsPseudoLabels(config, iteration)
                                   ? pseudoTargets(outputs, support, batch, config)
                                   : PseudoTargets();
  if (withSegmentation) {
    WSSS_CHECK(outputs.seg.defined(), "the segmentation head produced no output at step ",
               iteration + 1);
    const torch::Tensor logits =
        resizeMaps(outputs.seg.to(torch::kFloat32), batch.image.size(2), batch.image.size(3));
    if (config.aamr.enabled) {
      addTerm(losses, "aamr", aamrTerm(logits, pseudo, batch, config), config.aamr.weight);
    } else {
      const torch::Tensor target =
          trainsOnMasks(config) ? maskTarget(batch, config) : pseudo.segLabel;
      addTerm(losses, "seg", segmentationLoss(logits, target, config.seg.balanced),
              config.seg.weight);
    }
  }
  if (camTargetActive(config, iteration)) {
    addTerm(losses, "cam_target",
            camTargetTerm(outputs, batch, pseudo.segLabel, config.seg.balanced),
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
