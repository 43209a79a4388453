#include "train/evaluation/network_evaluation.h"

#include <torch/torch.h>

#include "core/error.h"
#include "core/logging.h"
#include "data/data_loader.h"
#include "train/device_batch.h"
#include "train/distributed/batch_share.h"
#include "train/distributed/process_group.h"
#include "train/evaluation/crf_inference.h"
#include "train/evaluation/evaluator.h"
#include "train/evaluation/multi_scale_inference.h"
#include "train/experiment_config.h"
#include "train/pseudo/network_pseudo_targets.h"
#include "train/pseudo/pseudo_label_sources.h"
#include "train/run_device.h"

namespace wsss {

std::vector<std::string> classNamesWithBackground(const VocDataset& dataset) {
  std::vector<std::string> names{"background"};
  names.insert(names.end(), dataset.classNames().begin(), dataset.classNames().end());
  return names;
}

DataOptions evaluationDataOptions(const ExperimentConfig& config, ScoredMaps target) {
  DataOptions data = config.data;
  if (scoresPseudoLabels(target) && pseudoLabelSource(config.pseudo.source).readsPoints) {
    data.needs.pointsFor = "pseudo.source points";
  }
  return data;
}

SplitScores evaluateNetwork(TrainingModels& models,
                            const std::shared_ptr<const VocDataset>& dataset,
                            const ExperimentConfig& config, const torch::Device& device,
                            const EvaluationTarget& target) {
  WSSS_CHECK(dataset->hasMasks(), "split '", dataset->split(), "' of ", config.data.root,
             " has no masks (data.mask_dirs), so it cannot be scored");
  WsssNetwork& network = models.network;
  const bool pseudoLabels = scoresPseudoLabels(target.target);
  if (pseudoLabels) checkPseudoSourceModels(models, config);
  const bool wasTraining = network->is_training();
  network->eval();
  torch::NoGradGuard noGrad;

  LoaderOptions loaderOptions =
      loaderOptionsFor(config.data, 1, false, static_cast<uint64_t>(config.seed));
  std::shared_ptr<const SampleSource> images = dataset;
  const bool shared = target.group && target.group->worldSize() > 1;
  if (shared) {
    images = std::make_shared<StridedSubset>(dataset, target.group->rank(),
                                             target.group->worldSize());
  }

  const bool channelsLast = config.train.channelsLast;
  const ScoreFunction segScores = [&](const torch::Tensor& images) {
    AutocastScope autocast(device, config.train.amp);
    return network->forward(images, true).seg.to(torch::kFloat32);
  };
  const auto predictLabels = [&](const Batch& cpuBatch) {
    const Batch batch = batchToDevice(cpuBatch, device, channelsLast);
    if (pseudoLabels) return networkPseudoTargets(models, batch, config, device).segLabel;
    torch::Tensor probabilities =
        multiScaleProbabilities(segScores, batch.image, config.eval.scales, config.eval.flip);
    if (config.eval.crf) {
      probabilities =
          crfProbabilities(probabilities, batch.image, config.data.augment, config.crf);
    }
    return probabilities.argmax(1);
  };

  EvaluationSettings settings;
  settings.numClasses = dataset->numClasses() + 1;
  settings.classNames = classNamesWithBackground(*dataset);
  settings.savePngDir = target.savePngDir;
  settings.split = dataset->split();
  settings.boundaryBand = target.boundaryBand;
  if (target.showProgress) {
    settings.progress = [](int64_t done, int64_t total) {
      if (done % 200 == 0 || done == total) {
        logInfo("evaluated " + std::to_string(done) + "/" + std::to_string(total) + " batches");
      }
    };
  }
  SplitConfusion confusion(settings.numClasses, settings.boundaryBand);
  // A rank of a job larger than the split has no image of its own, but still sums.
  if (images->size() > 0) {
    DataLoader loader(images, loaderOptions);
    confusion = accumulateConfusion(loader, predictLabels, settings);
  }
  if (shared) target.group->allReduceSum(confusion.counts());
  network->train(wasTraining);
  return confusion.scores();
}

}  // namespace wsss
