#include "train/commands/cli.h"

#include <exception>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "core/error.h"
#include "train/commands/commands.h"
#include "train/commands/experiment_setup.h"

namespace wsss {

namespace {

// The one place where commands are listed, in the order `wsss --help` shows them.
std::vector<Command> knownCommands() {
  return {toyDataCommand(), dataCheckCommand(), configCommand(), trainCommand(),
          evalCommand(),    pseudoCommand(),    predictCommand(), benchCommand()};
}

std::string usageLine(const Command& command) {
  std::ostringstream line;
  line << "wsss " << command.name;
  for (const FlagSpec& flag : command.flags) {
    const bool required = flag.required;
    std::string value = flag.valueName.empty() ? "" : " " + flag.valueName;
    if (flag.optionalValue) value = " [" + flag.valueName + "]";
    line << (required ? " " : " [") << "--" << flag.name << value << (required ? "" : "]");
  }
  if (command.acceptsOverrides) line << " [key.sub=value ...]";
  return line.str();
}

void printProgramHelp(std::ostream& out) {
  out << "wsss: single-stage weakly supervised semantic segmentation\n\n"
      << "usage: wsss <command> --config FILE [--work-dir DIR] [key.sub=value ...]\n\n"
      << "commands:\n";
  for (const Command& command : knownCommands()) {
    out << "  " << std::left << std::setw(12) << command.name << command.summary << "\n";
  }
  out << "\nRun `wsss <command> --help` for a command's options.\n";
}

void printCommandHelp(const Command& command, std::ostream& out) {
  out << "usage: " << usageLine(command) << "\n\n" << command.summary << "\n\noptions:\n";
  for (const FlagSpec& flag : command.flags) {
    std::string value = flag.valueName.empty() ? "" : " " + flag.valueName;
    if (flag.optionalValue) value = " [" + flag.valueName + "]";
    const std::string name = "--" + flag.name + value;
    out << "  " << std::left << std::setw(18) << name << flag.help << "\n";
  }
  out << "  " << std::left << std::setw(18) << "--help"
      << "this text\n";
  if (command.acceptsOverrides) {
    out << "\nconfig keys (set in the YAML file or as key.sub=value):\n" << experimentOptionsHelp();
  }
}

bool wantsHelp(const std::vector<std::string>& arguments) {
  for (const std::string& argument : arguments) {
    if (argument == "--help" || argument == "-h") return true;
  }
  return false;
}

}  // namespace

int runCli(int argc, char** argv) {
  const std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty()) {
    printProgramHelp(std::cerr);
    return 2;
  }
  if (words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    printProgramHelp(std::cout);
    return 0;
  }
  const std::vector<Command> commands = knownCommands();
  const Command* chosen = nullptr;
  for (const Command& command : commands) {
    if (command.name == words[0]) chosen = &command;
  }
  if (!chosen) {
    std::cerr << "error: unknown command '" << words[0] << "'; known commands:";
    for (const Command& command : commands) std::cerr << " " << command.name;
    std::cerr << "\n";
    return 2;
  }
  const std::vector<std::string> arguments(words.begin() + 1, words.end());
  if (wantsHelp(arguments)) {
    printCommandHelp(*chosen, std::cout);
    return 0;
  }
  try {
    const ParsedArguments parsed = parseArguments(chosen->flags, arguments);
    if (!chosen->acceptsOverrides && !parsed.overrides().empty()) {
      WSSS_FAIL("wsss ", chosen->name, " takes no config overrides, got '",
                parsed.overrides().front(), "'");
    }
    return chosen->run(parsed);
  } catch (const Error& error) {
    std::cerr << "error: " << error.what() << "\n";
  } catch (const std::exception& error) {
    std::cerr << "error: " << error.what() << "\n";
  }
  return 1;
}

}  // namespace wsss
