// L_rcm (METHODS §1): MainNet's embedding contrasted with region prototypes of SupportNet's
// embedding, with the prototype memory when rcm.memory > 0.
#include <torch/torch.h>

#include "core/class_maps.h"
#include "core/error.h"
#include "losses/rcm_loss.h"
#include "train/crop_box.h"
#include "train/experiment_config.h"
#include "train/step/loss_term.h"
#include "train/step/step_context.h"

namespace wsss {

namespace {

// Resized to height x width, then unit length per pixel.
torch::Tensor unitEmbedding(const torch::Tensor& embed, int64_t height, int64_t width) {
  return torch::nn::functional::normalize(
      resizeMaps(embed.to(torch::kFloat32), height, width),
      torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-12));
}

// The batch's prototypes are pushed into the memory after they were used, so an image never
// meets its own prototype. Under torchrun the leave-one-out prototypes, the memory and the
// loss's mean take the whole global batch, as one process would: each rank's image
// prototypes are gathered (SupportNet's, without gradient) and every rank pushes all of them.
torch::Tensor rcmLossOfStep(StepContext& step) {
  const RcmOptions& options = step.config.rcm;
  const SupportMaps& support = step.support();
  WSSS_CHECK(support.embed.defined(), "RCM needs SupportNet's scale-1 embedding");
  torch::Tensor region = ignoreOutsideCropBox(
      regionLabels(support.scores, options.threshold, options.ignoreBand), step.batch.cropBox);
  if (options.stride > 1) {
    using torch::indexing::Slice;
    region = region.index({Slice(), Slice(0, torch::indexing::None, options.stride),
                           Slice(0, torch::indexing::None, options.stride)});
  }
  const int64_t height = region.size(1);
  const int64_t width = region.size(2);
  const int64_t numRegions = support.scores.size(1) + 1;
  const RegionPrototypes own =
      imagePrototypes(unitEmbedding(support.embed.detach(), height, width), region, numRegions);
  const BatchReduction& reduction = step.reduction;
  RegionPrototypes batch = own;
  if (reduction.sumOverRanks) {
    batch.vectors = reduction.gatherRows(own.vectors);
    batch.present = reduction.gatherRows(own.present.to(torch::kFloat32)) > 0.5;
  }
  PrototypeMemory& memory = step.models.memory;
  const bool remembers = !memory.is_empty();
  RegionPrototypes prototypes =
      leaveOneOutPrototypes(batch, remembers ? memory->sum() : torch::Tensor(),
                            remembers ? memory->count() : torch::Tensor());
  prototypes.vectors = reduction.ownRows(prototypes.vectors);
  prototypes.present = reduction.ownRows(prototypes.present);
  if (remembers) memory->push(batch);
  return rcmLoss(unitEmbedding(step.outputs.embed, height, width), prototypes, region,
                 options.temperature, reduction);
}

}  // namespace

// It waits out its warm-up, so that SupportNet, which starts as a copy of the untrained
// MainNet, has CAMs worth copying before it shapes MainNet's embedding.
LossTerm regionContrastTerm() {
  LossTerm term;
  term.name = "rcm";
  term.section = "rcm";
  term.enabled = [](const ExperimentConfig& config) { return config.rcm.enabled; };
  term.firstStep = [](const ExperimentConfig& config) {
    return config.rcm.warmupFor(config.train.iterations);
  };
  term.needs = [](const ExperimentConfig&) {
    LossTermNeeds needs;
    needs.support = true;
    return needs;
  };
  term.weight = [](const ExperimentConfig& config) { return config.rcm.weight; };
  term.compute = rcmLossOfStep;
  term.switchOff = [](ExperimentConfig& config) { config.rcm.enabled = false; };
  return term;
}

}  // namespace wsss
