#include "train/experiment_config.h"

#include "core/config/option_table.h"

namespace wsss {

void TrainOptions::describe(OptionTable& table) {
  table.field("iterations", iterations, "optimiser steps of the whole run").atLeast(1);
  table.field("batch_size", batchSize, "images per step").atLeast(1);
}

void ExperimentConfig::describe(OptionTable& table) {
  table.field("seed", seed, "seed of the sampler, augmentation and initialisation").atLeast(0);
  table.choice("device", device, {"auto", "cpu", "cuda"},
               "where to run: cuda when available (auto), or forced");
  table.section("data", data, "dataset, augmentation and loader");
  table.section("train", train, "training loop");
}

}  // namespace wsss
