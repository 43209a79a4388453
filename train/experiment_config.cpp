#include "train/experiment_config.h"

#include <filesystem>

#include "core/atomic_file.h"
#include "core/config/config_loader.h"
#include "core/config/option_table.h"

namespace wsss {

void ExperimentConfig::describe(OptionTable& table) {
  table.field("seed", seed, "seed of the sampler, augmentation and initialisation").atLeast(0);
  table.choice("device", device, {"auto", "cpu", "cuda"},
               "where to run: cuda when available (auto), or forced");
  table.choice("supervision", supervision, {"image_labels", "full"},
               "train from image-level labels (pseudo-labels made on the fly), or from the "
               "ground-truth masks (the fully supervised upper bound)");
  table.section("model", model, "the network: backbone, heads, pretrained weights");
  table.section("data", data, "dataset, augmentation and loader");
  table.section("train", train, "training loop, optimiser, schedule, checkpoints");
  table.section("pseudo", pseudo, "pseudo-labels made on the fly for the segmentation head");
  table.section("cls", cls, "image-level classification loss");
  table.section("seg", seg, "segmentation loss on the pseudo-labels (or masks)");
  table.section("eval", eval, "inference used by evaluation");
}

std::string experimentYaml(const ExperimentConfig& config) {
  ExperimentConfig copy = config;
  return configToYaml(copy);
}

std::string writeRunConfig(const std::string& workDir, const ExperimentConfig& config) {
  const std::string path = (std::filesystem::path(workDir) / "config.yaml").string();
  writeFileAtomically(path, experimentYaml(config));
  return path;
}

}  // namespace wsss
