#include <iostream>

#include "core/error.h"
#include "data/toy/toy_dataset.h"
#include "train/commands/commands.h"

namespace wsss {

Command toyDataCommand() {
  Command command;
  command.name = "toy-data";
  command.summary = "write a synthetic dataset in the PASCAL VOC 2012 layout";
  command.flags = {
      {"out", "DIR", "destination folder (required)", false, true},
      {"train", "N", "training images (train_aug; default 200)"},
      {"val", "M", "validation images (default 60)"},
      {"seed", "S", "generator seed (default 0): the same seed writes the same files"}};
  command.run = [](const ParsedArguments& arguments) {
    WSSS_CHECK(arguments.has("out"), "missing --out DIR: where to write the dataset");
    ToyDatasetOptions options;
    options.out = arguments.text("out");
    options.trainImages = arguments.integer("train", options.trainImages);
    options.valImages = arguments.integer("val", options.valImages);
    const int64_t seed = arguments.integer("seed", static_cast<int64_t>(options.seed));
    WSSS_CHECK(options.trainImages >= 1, "--train: need at least 1 image, got ",
               options.trainImages);
    WSSS_CHECK(options.valImages >= 1, "--val: need at least 1 image, got ", options.valImages);
    WSSS_CHECK(seed >= 0, "--seed: expected a non-negative integer, got ", seed);
    options.seed = static_cast<uint64_t>(seed);
    const ToyDatasetSummary summary = writeToyDataset(options);
    std::cout << "wrote " << summary.trainImages << " training and " << summary.valImages
              << " validation images (" << summary.objects << " objects, "
              << summary.classNames.size() << " classes) to " << options.out << "\n";
    return 0;
  };
  return command;
}

}  // namespace wsss
