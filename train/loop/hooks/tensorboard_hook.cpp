// The run for TensorBoard (train.tensorboard), in <work-dir>/tensorboard/: every loss term, the
// learning rate and images/s at every step; at each evaluation the val mIoU, the pixel
// accuracy and each class's IoU, and the first train.tensorboard_images val images with the
// prediction and the CAM over them; the effective config as text. Rank 0 alone writes. A
// resumed run opens a new file beside the old ones and leaves out the steps they already hold
// (a run killed after its last checkpoint logged steps that the resumed run repeats).
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <random>

#include "train/experiment_config.h"
#include "core/logging.h"
#include "data/augment.h"
#include "data/collate.h"
#include "data/overlays.h"
#include "train/evaluation/image_prediction.h"
#include "train/evaluation/network_evaluation.h"
#include "train/loop/training_hook.h"
#include "train/tensorboard/event_file_reader.h"
#include "train/tensorboard/event_file_writer.h"

namespace wsss {

namespace {

// The step whose scalars mark how far a folder's files go.
constexpr const char* kStepTag = "loss/total";

class TensorBoardHook : public TrainingHook {
 public:
  std::string name() const override { return "tensorboard"; }

  void beforeStep(TrainingRun& run) override {
    if (writer_ || !run.config.train.tensorboard || !run.leads()) return;
    const std::string directory = (std::filesystem::path(run.workDir) / "tensorboard").string();
    if (run.resumed) lastWritten_ = lastWrittenStep(directory, kStepTag).value_or(0);
    writer_ = std::make_unique<EventFileWriter>(directory);
    // TensorBoard takes a step lower than one it has seen for a restart and drops what came
    // after it, so nothing is written below the steps already there.
    if (run.progress.iteration >= lastWritten_) {
      // Markdown shows the YAML as code.
      writer_->addText("config", "```yaml\n" + experimentYaml(run.config) + "```",
                       run.progress.iteration);
    }
  }

  void afterStep(TrainingRun& run, const StepRecord& record) override {
    if (!writer_) return;
    const int64_t step = record.iteration;
    if (step > lastWritten_) {
      for (const auto& [term, value] : record.losses) writer_->addScalar("loss/" + term, value, step);
      writer_->addScalar("train/lr", record.lr, step);
      writer_->addScalar("train/images_per_s", record.imagesPerSecond, step);
      if (record.gradientSyncSeconds >= 0) {
        writer_->addScalar("train/gradient_sync_s", record.gradientSyncSeconds, step);
      }
      if (run.lastEvaluation && run.lastEvaluation->iteration == step) writeEvaluation(run, step);
    }
    if (step % run.config.train.logInterval == 0) writer_->flush();
  }

  void atEnd(TrainingRun& run, bool failed) override {
    if (!writer_) return;
    if (failed) {
      writer_.reset();  // flushes and closes; an error there is logged
      return;
    }
    writer_->close();
  }

 private:
  void writeEvaluation(TrainingRun& run, int64_t step) {
    const SegmentationScores& scores = run.lastEvaluation->scores;
    writer_->addScalar("val/mIoU", 100.0 * scores.meanIou, step);
    writer_->addScalar("val/pixel_accuracy", 100.0 * scores.pixelAccuracy, step);
    const std::vector<std::string> names = classNamesWithBackground(*run.valSet);
    for (size_t index = 0; index < scores.iou.size() && index < names.size(); ++index) {
      if (!std::isnan(scores.iou[index])) {
        writer_->addScalar("val_iou/" + names[index], 100.0 * scores.iou[index], step);
      }
    }
    writeImages(run, step);
  }

  // The first val images, each on its own (their sizes differ), normalised as evaluation does.
  void writeImages(TrainingRun& run, int64_t step) {
    const auto count = std::min<size_t>(static_cast<size_t>(run.config.train.tensorboardImages),
                                        run.valSet->size());
    const Augmenter augmenter(run.config.data.augment, false);
    std::mt19937_64 unused(0);
    for (size_t index = 0; index < count; ++index) {
      const Sample sample = run.valSet->load(index);
      std::vector<AugmentedSample> one{augmenter.apply(sample, unused)};
      const Batch batch = collate(std::move(one), run.valSet->numClasses(), false);
      const ImagePredictions predictions = predictImages(
          run.models.network, batch.image.to(run.device), run.config, run.device);
      const cv::Mat labels = labelsToMat(predictions.labels[0]);
      // The CAM of the image's own classes (its tags), the strongest at each pixel.
      torch::Tensor tags = batch.labels[0].to(run.device, torch::kFloat32).view({-1, 1, 1});
      if (tags.sum().item<double>() == 0) tags = torch::ones_like(tags);
      const cv::Mat cam = mapToMat((predictions.cams[0] * tags).amax(0));
      const std::string prefix = "val_images/" + sample.id + "/";
      writer_->addImage(prefix + "prediction", labelOverlay(sample.image, labels), step);
      writer_->addImage(prefix + "cam", heatMapOverlay(sample.image, cam), step);
    }
  }

  std::unique_ptr<EventFileWriter> writer_;
  int64_t lastWritten_ = 0;  // steps up to here are in the folder's files already
};

}  // namespace

std::shared_ptr<TrainingHook> tensorBoardHook() { return std::make_shared<TensorBoardHook>(); }

}  // namespace wsss
