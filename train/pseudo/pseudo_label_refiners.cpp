#include "train/pseudo/pseudo_label_refiners.h"

#include "core/class_maps.h"
#include "core/error.h"
#include "models/refine/alpha_matting.h"
#include "models/refine/infoflow_matting.h"
#include "train/experiment_config.h"

namespace wsss {

namespace {

// METHODS §3: the maps of the present classes averaged along the image's affinities.
PseudoLabelRefiner imageRefinement(const PseudoLabelOptions& options,
                                   const ImageRefinementOptions& refinement) {
  const bool renormalise = options.renormalise;
  PseudoLabelRefiner refiner;
  refiner.name = "refinement";
  refiner.refine = [renormalise, refinement](const PseudoLabelInputs& inputs,
                                             PseudoTargets& targets) {
    WSSS_CHECK(inputs.image.defined(), "pseudo.refine is on, but no image was given to guide it");
    const torch::Tensor refined = refinePresentClasses(inputs.image, targets.scores, inputs.labels,
                                                       inputs.valid(), refinement);
    // Refinement averages a map over its region, which lowers a peaked map's maximum;
    // dividing by the peak again keeps 0.55 and 0.35 meaning what they mean on Â.
    targets.scores = renormalise ? divideByPeak(refined) : refined;
  };
  refiner.switchOff = [](ExperimentConfig& config) { config.pseudo.refine = false; };
  return refiner;
}

// METHODS §4: a trimap per present class from the maps, alpha solved on its unknown pixels;
// the labels are the argmax of alpha, background where every alpha is below 0.5.
PseudoLabelRefiner matting(const MattingOptions& options,
                           const ImageRefinementOptions& refinement) {
  PseudoLabelRefiner refiner;
  refiner.name = "matting";
  refiner.refine = [options, refinement](const PseudoLabelInputs& inputs,
                                         PseudoTargets& targets) {
    WSSS_CHECK(inputs.image.defined(), "matting.enabled is on, but no image was given to guide it");
    const torch::Tensor valid = inputs.valid();
    targets.trimaps = makeTrimaps(targets.scores, inputs.labels, valid, options.trimap);
    targets.scores =
        options.solver == MattingSolver::Infoflow
            ? infoFlowAlpha(inputs.image, targets.trimaps).to(targets.scores.device())
            : propagateAlpha(inputs.image, targets.trimaps, valid, refinement, options.tolerance,
                             options.maxIterations)
                  .alpha;
  };
  refiner.switchOff = [](ExperimentConfig& config) { config.matting.enabled = false; };
  refiner.rule = LabelRule{0.5, 0.5, 0.0};
  return refiner;
}

}  // namespace

std::vector<PseudoLabelRefiner> pseudoLabelRefiners(const PseudoLabelSettings& settings) {
  std::vector<PseudoLabelRefiner> chain;
  if (settings.pseudo.refine) chain.push_back(imageRefinement(settings.pseudo, settings.refinement));
  if (settings.matting.enabled) chain.push_back(matting(settings.matting, settings.refinement));
  return chain;
}

}  // namespace wsss
