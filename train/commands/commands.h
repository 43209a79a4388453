#pragma once
// Every subcommand of `wsss`, each defined in its own file. The list of them is in cli.cpp.
#include "train/commands/command_line.h"

namespace wsss {

Command toyDataCommand();
Command dataCheckCommand();
Command configCommand();
Command benchCommand();
Command trainCommand();
Command evalCommand();
Command pseudoCommand();
Command predictCommand();

}  // namespace wsss
