#include "train/evaluation/image_prediction.h"

#include <torch/torch.h>

#include "core/class_maps.h"
#include "train/evaluation/crf_inference.h"
#include "train/evaluation/multi_scale_inference.h"
#include "train/experiment_config.h"
#include "train/run_device.h"

namespace wsss {

ImagePredictions predictImages(WsssNetwork& network, const torch::Tensor& images,
                               const ExperimentConfig& config, const torch::Device& device) {
  const bool wasTraining = network->is_training();
  network->eval();
  torch::NoGradGuard noGrad;
  const torch::Tensor input =
      config.train.channelsLast && device.is_cuda()
          ? images.contiguous(torch::MemoryFormat::ChannelsLast)
          : images;
  const ScoreFunction segScores = [&](const torch::Tensor& views) {
    AutocastScope autocast(device, config.train.amp);
    return network->forward(views, true).seg.to(torch::kFloat32);
  };
  ImagePredictions predictions;
  predictions.probabilities =
      multiScaleProbabilities(segScores, input, config.eval.scales, config.eval.flip);
  if (config.eval.crf) {
    predictions.probabilities = crfProbabilities(predictions.probabilities, images,
                                                 config.data.augment, config.crf);
  }
  predictions.labels = predictions.probabilities.argmax(1);
  torch::Tensor cams;
  {
    AutocastScope autocast(device, config.train.amp);
    cams = network->forward(input, false).cam.to(torch::kFloat32);
  }
  predictions.cams =
      divideByPeak(resizeMaps(torch::relu(cams), images.size(2), images.size(3)));
  network->train(wasTraining);
  return predictions;
}

namespace {

cv::Mat toMat(const torch::Tensor& map, torch::ScalarType type, int matType) {
  const torch::Tensor values = map.to(torch::kCPU, type).contiguous();
  return cv::Mat(static_cast<int>(values.size(0)), static_cast<int>(values.size(1)), matType,
                 values.data_ptr())
      .clone();
}

}  // namespace

cv::Mat labelsToMat(const torch::Tensor& labels) {
  return toMat(labels, torch::kUInt8, CV_8UC1);
}

cv::Mat mapToMat(const torch::Tensor& map) { return toMat(map, torch::kFloat32, CV_32FC1); }

}  // namespace wsss
