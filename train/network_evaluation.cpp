#include "train/network_evaluation.h"

#include <torch/torch.h>

#include "core/error.h"
#include "core/logging.h"
#include "data/data_loader.h"
#include "train/device_batch.h"
#include "train/evaluator.h"
#include "train/experiment_config.h"
#include "train/multi_scale_inference.h"
#include "train/pseudo_labels.h"
#include "train/run_device.h"
#include "train/support_losses.h"

namespace wsss {

std::vector<std::string> classNamesWithBackground(const VocDataset& dataset) {
  std::vector<std::string> names{"background"};
  names.insert(names.end(), dataset.classNames().begin(), dataset.classNames().end());
  return names;
}

SegmentationScores evaluateNetwork(TrainingModels& models,
                                   const std::shared_ptr<const VocDataset>& dataset,
                                   const ExperimentConfig& config, const torch::Device& device,
                                   const EvaluationTarget& target) {
  WSSS_CHECK(target.target == "seg" || target.target == "cam", "--target '", target.target,
             "' is not one of seg, cam");
  WSSS_CHECK(dataset->hasMasks(), "split '", dataset->split(), "' of ", config.data.root,
             " has no masks (data.mask_dirs), so it cannot be scored");
  WsssNetwork& network = models.network;
  const bool supportLabels = target.target == "cam" && config.pseudo.source == "support";
  WSSS_CHECK(!supportLabels || models.support,
             "pseudo.source is support, but SupportNet is off: set support.mode to ema or shared");
  const bool wasTraining = network->is_training();
  network->eval();
  torch::NoGradGuard noGrad;

  LoaderOptions loaderOptions =
      loaderOptionsFor(config.data, 1, false, static_cast<uint64_t>(config.seed));
  DataLoader loader(dataset, loaderOptions);

  const bool channelsLast = config.train.channelsLast;
  const ScoreFunction segScores = [&](const torch::Tensor& images) {
    AutocastScope autocast(device, config.train.amp);
    return network->forward(images, true).seg.to(torch::kFloat32);
  };
  const auto predictLabels = [&](const Batch& cpuBatch) {
    const Batch batch = batchToDevice(cpuBatch, device, channelsLast);
    const int64_t height = batch.image.size(2);
    const int64_t width = batch.image.size(3);
    if (target.target == "cam") {
      PseudoLabelInputs inputs;
      {
        AutocastScope autocast(device, config.train.amp);
        inputs.cam = network->forward(batch.image, false).cam;
        if (supportLabels) {
          inputs.supportScores = supportMaps(*models.support, batch.image, batch.labels).scores;
        }
      }
      inputs.labels = batch.labels;
      inputs.image = batch.image;
      inputs.cropBox = batch.cropBox;
      inputs.height = height;
      inputs.width = width;
      return makePseudoTargets(inputs, config.pseudo, config.refine).segLabel;
    }
    return multiScaleProbabilities(segScores, batch.image, config.eval.scales, config.eval.flip)
        .argmax(1);
  };

  EvaluationSettings settings;
  settings.numClasses = dataset->numClasses() + 1;
  settings.classNames = classNamesWithBackground(*dataset);
  settings.savePngDir = target.savePngDir;
  settings.split = dataset->split();
  if (target.showProgress) {
    settings.progress = [](int64_t done, int64_t total) {
      if (done % 200 == 0 || done == total) {
        logInfo("evaluated " + std::to_string(done) + "/" + std::to_string(total) + " batches");
      }
    };
  }
  SegmentationScores scores = evaluateSegmentation(loader, predictLabels, settings);
  network->train(wasTraining);
  return scores;
}

}  // namespace wsss
