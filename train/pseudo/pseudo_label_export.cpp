#include "train/pseudo/pseudo_label_export.h"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>

#include "core/class_maps.h"
#include "core/error.h"
#include "data/data_loader.h"
#include "models/refine/class_conditional_inference.h"
#include "train/crop_box.h"
#include "train/device_batch.h"
#include "train/evaluation/evaluator.h"
#include "train/experiment_config.h"
#include "train/pseudo/pseudo_labels.h"
#include "train/run_device.h"

namespace wsss {

std::vector<double> backgroundThresholdSweep() {
  std::vector<double> thresholds;
  for (int step = 1; step <= 19; ++step) thresholds.push_back(0.05 * step);
  return thresholds;
}

torch::Tensor backgroundThresholdLabels(const torch::Tensor& maps, double threshold) {
  return thresholdLabels(maps, threshold, threshold);
}

void checkCciSource(const ExperimentConfig& config) {
  WSSS_CHECK(config.pseudo.source == PseudoSource::Cam,
             "wsss pseudo asks MainNet's classifier, so it needs pseudo.source cam, not ",
             choiceName(config.pseudo.source), " (add pseudo.source=cam to the command line)");
}

PseudoExportResult exportPseudoLabels(TrainingModels& models,
                                      const std::shared_ptr<const VocDataset>& dataset,
                                      const ExperimentConfig& config, const torch::Device& device,
                                      const PseudoExportSettings& settings) {
  checkCciSource(config);
  WSSS_CHECK(!settings.labelDir.empty(), "wsss pseudo: no folder for the labels");
  std::filesystem::create_directories(settings.labelDir);
  WsssNetwork& network = models.network;
  const bool wasTraining = network->is_training();
  network->eval();
  torch::NoGradGuard noGrad;

  const ClassMapFunction classMaps = [&](const torch::Tensor& images) {
    AutocastScope autocast(device, config.train.amp);
    return network->forward(images, false).cam.to(torch::kFloat32);
  };
  const int64_t numClasses = dataset->numClasses() + 1;
  const bool scored = dataset->hasMasks();
  ConfusionMatrix labelCounts(numClasses);
  std::vector<ConfusionMatrix> sweepCounts(settings.sweepThresholds.size(),
                                           ConfusionMatrix(numClasses));

  DataLoader loader(dataset,
                    loaderOptionsFor(config.data, 1, false, static_cast<uint64_t>(config.seed)));
  PseudoExportResult result;
  const int64_t total = loader.batchesPerEpoch();
  const auto start = std::chrono::steady_clock::now();
  while (std::optional<Batch> cpuBatch = loader.next()) {
    const Batch batch = batchToDevice(*cpuBatch, device, false);
    const torch::Tensor maps =
        classConditionalMaps(classMaps, batch.image[0], batch.labels[0], config.cci).unsqueeze(0);

    // The CCI maps already are Â (present classes, peak 1), so the engine takes them where it
    // takes a CAM; renormalising them changes nothing but the 1e-5 of the peak.
    const torch::Tensor labels =
        makePseudoTargets(pseudoLabelInputs(batch, maps), config.pseudoLabelSettings()).segLabel;

    const torch::Tensor box = batch.cropBox[0];
    const std::string& id = batch.ids.front();
    saveLabelPng(cutToCropBox(labels[0], box),
                 (std::filesystem::path(settings.labelDir) / (id + ".png")).string());
    if (scored) {
      WSSS_CHECK(batch.mask.defined(), "wsss pseudo: image ", id, " of split ", dataset->split(),
                 " has no mask while others have");
      const torch::Tensor truth = cutToCropBox(batch.mask[0], box);
      labelCounts.add(cutToCropBox(labels[0], box), truth);
      for (size_t index = 0; index < settings.sweepThresholds.size(); ++index) {
        sweepCounts[index].add(
            cutToCropBox(backgroundThresholdLabels(maps, settings.sweepThresholds[index])[0], box),
            truth);
      }
    }
    ++result.images;
    if (settings.progress) settings.progress(result.images, total);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (scored) {
    result.scores = labelCounts.scores();
    for (const ConfusionMatrix& counts : sweepCounts) result.sweep.push_back(counts.scores());
  }
  network->train(wasTraining);
  return result;
}

}  // namespace wsss
