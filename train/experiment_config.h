#pragma once
// The root of every experiment file: each component's typed options under its own section.
#include <cstdint>
#include <string>

#include "data/data_options.h"

namespace wsss {

class OptionTable;

struct TrainOptions {
  int64_t iterations = 20000;  // optimiser steps; training is iteration-based
  int64_t batchSize = 8;
  void describe(OptionTable& table);
};

struct ExperimentConfig {
  int64_t seed = 0;
  std::string device = "auto";  // auto | cpu | cuda
  DataOptions data;
  TrainOptions train;
  void describe(OptionTable& table);
};

}  // namespace wsss
