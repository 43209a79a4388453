#pragma once
// The root of every experiment file: each component's typed options under its own section.
#include <cstdint>
#include <string>

#include "data/data_options.h"
#include "losses/aamr_loss.h"
#include "losses/affinity_consistency_loss.h"
#include "losses/cam_target_loss.h"
#include "losses/classification_loss.h"
#include "losses/mam_loss.h"
#include "losses/rcm_loss.h"
#include "losses/segmentation_loss.h"
#include "models/model_options.h"
#include "models/refine/class_conditional_inference.h"
#include "models/refine/image_refinement.h"
#include "models/support_net.h"
#include "train/eval_options.h"
#include "train/pseudo_labels.h"
#include "train/training_options.h"

namespace wsss {

class OptionTable;

struct ExperimentConfig {
  int64_t seed = 0;
  std::string device = "auto";               // auto | cpu | cuda
  std::string supervision = "image_labels";  // image_labels | full | pseudo_dir
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
  CciOptions cci;
  EvalOptions eval;
  void describe(OptionTable& table);
};

// The effective config as YAML text (what config.yaml and every checkpoint hold).
std::string experimentYaml(const ExperimentConfig& config);

// Writes <workDir>/config.yaml atomically (creating the folder) and returns its path.
std::string writeRunConfig(const std::string& workDir, const ExperimentConfig& config);

}  // namespace wsss
