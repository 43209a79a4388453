#include "train/pseudo/network_pseudo_targets.h"

#include <torch/torch.h>

#include "core/error.h"
#include "train/experiment_config.h"
#include "train/pseudo/pseudo_label_sources.h"
#include "train/pseudo/support_maps.h"
#include "train/run_device.h"

namespace wsss {

void checkPseudoSourceModels(const TrainingModels& models, const ExperimentConfig& config) {
  WSSS_CHECK(!pseudoLabelSource(config.pseudo.source).readsSupport || models.support,
             "pseudo.source is support, but SupportNet is off: set support.mode to ema or shared");
}

PseudoTargets networkPseudoTargets(TrainingModels& models, const Batch& batch,
                                   const ExperimentConfig& config, const torch::Device& device) {
  checkPseudoSourceModels(models, config);
  torch::NoGradGuard noGrad;
  const PseudoLabelSource source = pseudoLabelSource(config.pseudo.source);
  NetworkOutputs outputs;
  torch::Tensor supportScores;
  {
    AutocastScope autocast(device, config.train.amp);
    // The points source reads the segmentation head's features.
    outputs = models.network->forward(batch.image, source.readsPoints);
    if (source.readsSupport) {
      supportScores = supportMaps(*models.support, batch.image, batch.labels).scores;
    }
  }
  return makePseudoTargets(
      pseudoLabelInputs(batch, outputs.cam, supportScores, outputs.decoder, outputs.fgbg),
      config.pseudoLabelSettings());
}

}  // namespace wsss
