#include "train/training_step.h"

#include <torch/torch.h>

#include "core/class_maps.h"
#include "core/error.h"
#include "losses/classification_loss.h"
#include "losses/segmentation_loss.h"
#include "train/experiment_config.h"
#include "train/pseudo_labels.h"
#include "train/run_device.h"

namespace wsss {

bool segmentationActive(const ExperimentConfig& config, int64_t iteration) {
  if (config.seg.weight <= 0) return false;
  if (config.supervision == "full") return true;
  return iteration >= config.seg.warmupFor(config.train.iterations);
}

LossTerms computeLosses(const NetworkOutputs& outputs, const Batch& batch,
                        const ExperimentConfig& config, int64_t iteration) {
  LossTerms losses;
  const torch::Tensor cls = multilabelSoftMarginLoss(outputs.logits, batch.labels);
  losses.terms.emplace_back("cls", cls);
  losses.total = config.cls.weight * cls;

  if (segmentationActive(config, iteration)) {
    WSSS_CHECK(outputs.seg.defined(), "the segmentation head produced no output at step ",
               iteration + 1);
    const int64_t height = batch.image.size(2);
    const int64_t width = batch.image.size(3);
    torch::Tensor target;
    if (config.supervision == "full") {
      WSSS_CHECK(batch.mask.defined(),
                 "supervision: full needs ground-truth masks, but the "
                 "training split has none (data.mask_dirs)");
      target = batch.mask;
    } else {
      target =
          makePseudoTargets(outputs.cam, batch.labels, batch.cropBox, height, width, config.pseudo)
              .segLabel;
    }
    const torch::Tensor logits = resizeMaps(outputs.seg.to(torch::kFloat32), height, width);
    const torch::Tensor seg = segmentationLoss(logits, target, config.seg.balanced);
    losses.terms.emplace_back("seg", seg);
    losses.total = losses.total + config.seg.weight * seg;
  }
  return losses;
}

LossTerms forwardLosses(WsssNetwork& network, const Batch& batch, const ExperimentConfig& config,
                        int64_t iteration, const torch::Device& device) {
  AutocastScope autocast(device, config.train.amp);
  const NetworkOutputs outputs =
      network->forward(batch.image, segmentationActive(config, iteration));
  return computeLosses(outputs, batch, config, iteration);
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
