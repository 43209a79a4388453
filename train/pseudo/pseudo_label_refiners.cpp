#include "train/pseudo/pseudo_label_refiners.h"

#include "core/class_maps.h"
#include "core/error.h"

namespace wsss {

namespace {

// METHODS §3: the maps of the present classes averaged along the image's affinities.
PseudoLabelRefiner imageRefinement(const PseudoLabelOptions& options,
                                   const ImageRefinementOptions& refinement) {
  const bool renormalise = options.renormalise;
  return {"refinement",
          [renormalise, refinement](const PseudoLabelInputs& inputs, const torch::Tensor& maps) {
            WSSS_CHECK(inputs.image.defined(),
                       "pseudo.refine is on, but no image was given to guide it");
            torch::Tensor refined =
                refinePresentClasses(inputs.image, maps, inputs.labels, inputs.valid(), refinement);
            // Refinement averages a map over its region, which lowers a peaked map's maximum;
            // dividing by the peak again keeps 0.55 and 0.35 meaning what they mean on Â.
            return renormalise ? divideByPeak(refined) : refined;
          },
          [](PseudoLabelOptions& off) { off.refine = false; }};
}

}  // namespace

std::vector<PseudoLabelRefiner> pseudoLabelRefiners(const PseudoLabelOptions& options,
                                                    const ImageRefinementOptions& refinement) {
  std::vector<PseudoLabelRefiner> chain;
  if (options.refine) chain.push_back(imageRefinement(options, refinement));
  return chain;
}

}  // namespace wsss
