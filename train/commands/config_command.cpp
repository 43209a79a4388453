#include <iostream>

#include "train/commands/commands.h"
#include "train/commands/experiment_setup.h"

namespace wsss {

Command configCommand() {
  Command command;
  command.name = "config";
  command.summary = "print the effective config (defaults < YAML with bases < overrides)";
  command.flags = {configFlag()};
  command.acceptsOverrides = true;
  command.run = [](const ParsedArguments& arguments) {
    std::cout << experimentYaml(loadExperiment(arguments));
    return 0;
  };
  return command;
}

}  // namespace wsss
