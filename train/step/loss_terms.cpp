// The list of the step's loss terms: one entry per term, in the order they are summed. A new
// term is a file under train/step/terms/ defining its entry, declared and listed here.
#include "train/step/loss_term.h"

namespace wsss {

LossTerm classificationTerm();             // terms/cls_term.cpp
LossTerm regionContrastTerm();             // terms/rcm_term.cpp
LossTerm multiScaleAttentionTerm();        // terms/mam_term.cpp
LossTerm affinityConsistencyTerm();        // terms/affc_term.cpp
LossTerm segmentationTerm();               // terms/seg_term.cpp
LossTerm activationAwareRefinementTerm();  // terms/aamr_term.cpp
LossTerm camTargetTerm();                  // terms/cam_target_term.cpp
LossTerm pointTerm();                      // terms/point_term.cpp
LossTerm pointMaskTerm();                  // terms/pm_term.cpp
LossTerm prototypeSeparationTerm();        // terms/sep_term.cpp
LossTerm exclusivityTerm();                // terms/ex_term.cpp
LossTerm foregroundBackgroundTerm();       // terms/fgbg_term.cpp

LossTermList standardLossTerms() {
  return {classificationTerm(),
          regionContrastTerm(),
          multiScaleAttentionTerm(),
          affinityConsistencyTerm(),
          segmentationTerm(),
          activationAwareRefinementTerm(),
          camTargetTerm(),
          pointTerm(),
          pointMaskTerm(),
          prototypeSeparationTerm(),
          exclusivityTerm(),
          foregroundBackgroundTerm()};
}

}  // namespace wsss
