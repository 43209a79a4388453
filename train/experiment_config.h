#pragma once
// The root of every experiment file: each component's typed options under its own section.
#include <cstdint>
#include <set>
#include <string>

#include "data/data_options.h"
#include "losses/aamr_loss.h"
#include "losses/affinity_consistency_loss.h"
#include "losses/cam_target_loss.h"
#include "losses/classification_loss.h"
#include "losses/mam_loss.h"
#include "losses/rcm_loss.h"
#include "losses/segmentation_loss.h"
#include "models/crf/dense_crf.h"
#include "models/model_options.h"
#include "models/refine/alpha_matting.h"
#include "models/refine/class_conditional_inference.h"
#include "models/refine/image_refinement.h"
#include "models/support_net.h"
#include "train/evaluation/eval_options.h"
#include "train/loop/training_options.h"
#include "train/pseudo/pseudo_labels.h"
#include "train/run_device.h"

namespace wsss {

class OptionTable;

// What trains the segmentation head: pseudo-labels made on the fly from the image labels, the
// ground-truth masks (the fully supervised upper bound), a folder of pseudo-label PNGs, or
// clicks (L_point at the clicks, L_pm on pseudo-masks made from them on the fly).
enum class Supervision { ImageLabels, Full, PseudoDir, Points };
inline const ChoiceNames<Supervision>& choiceNames(Supervision) {
  static const ChoiceNames<Supervision> names = {{Supervision::ImageLabels, "image_labels"},
                                                 {Supervision::Full, "full"},
                                                 {Supervision::PseudoDir, "pseudo_dir"},
                                                 {Supervision::Points, "points"}};
  return names;
}

struct ExperimentConfig {
  int64_t seed = 0;
  DeviceChoice device = DeviceChoice::Auto;
  Supervision supervision = Supervision::ImageLabels;
  ModelOptions model;
  DataOptions data;
  TrainOptions train;
  PseudoLabelOptions pseudo;
  ImageRefinementOptions refine;
  SupportOptions support;
  ClassificationLossOptions cls;
  SegmentationLossOptions seg;
  RcmOptions rcm;
  MamOptions mam;
  AffinityConsistencyOptions affc;
  CamTargetOptions selfguided;
  AamrOptions aamr;
  PointOptions point;
  MattingOptions matting;
  CciOptions cci;
  EvalOptions eval;
  DenseCrfOptions crf;
  // Not a config key: loss terms switched off by name, whatever their sections say (the
  // benchmark's rows take out a term that has no switch of its own this way).
  std::set<std::string> switchedOffTerms;

  void describe(OptionTable& table);

  // Whether the segmentation head trains on the loader's masks (supervision full: the ground
  // truth; pseudo_dir: the PNGs of pseudo.dir) rather than on pseudo-labels made in the step.
  bool trainsOnMasks() const {
    return supervision == Supervision::Full || supervision == Supervision::PseudoDir;
  }

  // What the pseudo-label engine is configured by.
  PseudoLabelSettings pseudoLabelSettings() const { return {pseudo, refine, point, matting}; }
};

// The effective config as YAML text (what config.yaml and every checkpoint hold).
std::string experimentYaml(const ExperimentConfig& config);

// Writes <workDir>/config.yaml atomically (creating the folder) and returns its path.
std::string writeRunConfig(const std::string& workDir, const ExperimentConfig& config);

}  // namespace wsss
