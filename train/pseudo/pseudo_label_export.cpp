#include "train/pseudo/pseudo_label_export.h"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <opencv2/core.hpp>

#include "core/class_maps.h"
#include "core/error.h"
#include "data/data_loader.h"
#include "data/label_png.h"
#include "models/refine/class_conditional_inference.h"
#include "train/crop_box.h"
#include "train/device_batch.h"
#include "train/distributed/batch_share.h"
#include "train/distributed/process_group.h"
#include "train/evaluation/crf_inference.h"
#include "train/evaluation/evaluator.h"
#include "train/experiment_config.h"
#include "train/pseudo/network_pseudo_targets.h"
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

bool usesCci(const ExperimentConfig& config) { return config.pseudo.source == PseudoSource::Cam; }

namespace {

// Grey levels for the trimap PNGs: index i shows as (i, i, i).
const Palette& greyPalette() {
  static const Palette palette = [] {
    Palette grey(256);
    for (size_t index = 0; index < grey.size(); ++index) {
      const auto level = static_cast<uint8_t>(index);
      grey[index] = {level, level, level};
    }
    return grey;
  }();
  return palette;
}

// One grey PNG per present class of the image: <dir>/<id>_<class>.png.
int64_t saveTrimaps(const torch::Tensor& trimaps, const torch::Tensor& labels,
                    const torch::Tensor& box, const std::string& id,
                    const std::vector<std::string>& classNames, const std::string& dir) {
  const torch::Tensor present = labels.to(torch::kCPU).gt(0);
  int64_t written = 0;
  for (int64_t c = 0; c < trimaps.size(0); ++c) {
    if (!present[c].item<bool>()) continue;
    const torch::Tensor pixels =
        cutToCropBox(trimaps[c], box).to(torch::kCPU, torch::kUInt8).contiguous();
    const cv::Mat image(static_cast<int>(pixels.size(0)), static_cast<int>(pixels.size(1)),
                        CV_8UC1, pixels.data_ptr<uint8_t>());
    const std::string name = id + "_" + classNames[static_cast<size_t>(c)] + ".png";
    writeLabelPng((std::filesystem::path(dir) / name).string(), image, greyPalette());
    ++written;
  }
  return written;
}

}  // namespace

PseudoExportResult exportPseudoLabels(TrainingModels& models,
                                      const std::shared_ptr<const VocDataset>& dataset,
                                      const ExperimentConfig& config, const torch::Device& device,
                                      const PseudoExportSettings& settings) {
  checkPseudoSourceModels(models, config);
  WSSS_CHECK(settings.trimapDir.empty() || config.matting.enabled,
             "trimaps are made by the matting refiner, which is off: add matting.enabled=true "
             "to write them");
  WSSS_CHECK(!settings.labelDir.empty(), "wsss pseudo: no folder for the labels");
  std::filesystem::create_directories(settings.labelDir);
  if (!settings.trimapDir.empty()) std::filesystem::create_directories(settings.trimapDir);
  const bool cci = usesCci(config);
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
  SplitConfusion labelCounts(numClasses, settings.boundaryBand);
  // One matrix each: copies of one would share its counts until their first add.
  std::vector<ConfusionMatrix> sweepCounts;
  for (size_t index = 0; cci && index < settings.sweepThresholds.size(); ++index) {
    sweepCounts.emplace_back(numClasses);
  }

  const bool shared = settings.group && settings.group->worldSize() > 1;
  std::shared_ptr<const SampleSource> images = dataset;
  if (shared) {
    images = std::make_shared<StridedSubset>(dataset, settings.group->rank(),
                                             settings.group->worldSize());
  }
  // A rank of a job larger than the split has no image of its own, but still sums.
  std::optional<DataLoader> loader;
  if (images->size() > 0) {
    loader.emplace(images,
                   loaderOptionsFor(config.data, 1, false, static_cast<uint64_t>(config.seed)));
  }
  const std::vector<std::string>& classNames = dataset->classNames();
  PseudoExportResult result;
  const int64_t total = static_cast<int64_t>(images->size());
  const auto start = std::chrono::steady_clock::now();
  while (loader) {
    std::optional<Batch> cpuBatch = loader->next();
    if (!cpuBatch) break;
    const Batch batch = batchToDevice(*cpuBatch, device, false);
    torch::Tensor maps;
    PseudoTargets targets;
    if (cci) {
      maps = classConditionalMaps(classMaps, batch.image[0], batch.labels[0], config.cci)
                 .unsqueeze(0);
      // The CCI maps already are Â (present classes, peak 1), so the engine takes them where
      // it takes a CAM; renormalising them changes nothing but the 1e-5 of the peak.
      targets = makePseudoTargets(pseudoLabelInputs(batch, maps), config.pseudoLabelSettings());
    } else {
      targets = networkPseudoTargets(models, batch, config, device);
    }
    torch::Tensor labels = targets.segLabel;
    if (config.pseudo.crf) {
      labels = crfLabels(labels, batch.image, numClasses, config.data.augment, config.crf);
    }

    const torch::Tensor box = batch.cropBox[0];
    const std::string& id = batch.ids.front();
    saveLabelPng(cutToCropBox(labels[0], box),
                 (std::filesystem::path(settings.labelDir) / (id + ".png")).string());
    if (!settings.trimapDir.empty()) {
      result.trimaps += saveTrimaps(targets.trimaps[0], batch.labels[0], box, id, classNames,
                                    settings.trimapDir);
    }
    if (scored) {
      WSSS_CHECK(batch.mask.defined(), "wsss pseudo: image ", id, " of split ", dataset->split(),
                 " has no mask while others have");
      const torch::Tensor truth = cutToCropBox(batch.mask[0], box);
      labelCounts.add(cutToCropBox(labels[0], box), truth);
      for (size_t index = 0; index < sweepCounts.size(); ++index) {
        sweepCounts[index].add(
            cutToCropBox(backgroundThresholdLabels(maps, settings.sweepThresholds[index])[0], box),
            truth);
      }
    }
    ++result.images;
    if (settings.progress) settings.progress(result.images, total);
  }
  if (shared) {
    std::vector<torch::Tensor> counts = labelCounts.counts();
    for (const ConfusionMatrix& sweep : sweepCounts) counts.push_back(sweep.counts());
    const torch::Tensor written = torch::tensor({result.images, result.trimaps});
    counts.push_back(written);
    settings.group->allReduceSum(counts);
    result.images = written[0].item<int64_t>();
    result.trimaps = written[1].item<int64_t>();
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (scored) {
    const SplitScores labelScores = labelCounts.scores();
    result.scores = labelScores.whole;
    result.boundary = labelScores.boundary;
    for (const ConfusionMatrix& counts : sweepCounts) result.sweep.push_back(counts.scores());
  }
  network->train(wasTraining);
  return result;
}

}  // namespace wsss
