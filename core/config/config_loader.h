#pragma once
// Reading an experiment's options: defaults in the structs < YAML files (with `base:`
// inheritance, left to right) < command-line "a.b=value" overrides. Every unknown key, wrong
// type and failed check is collected and reported in one error, with the dotted path, where
// the value came from and the nearest valid key.
#include <string>
#include <vector>

#include "core/config/option_table.h"
#include "core/error.h"

namespace wsss {

// One or more configuration problems, one per line of what().
class ConfigError : public Error {
 public:
  explicit ConfigError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// Loads `file` with its base: chain, then the overrides ("a.b=value"), into the table's
// fields. An empty `file` leaves the defaults and applies only the overrides. Throws
// ConfigError listing every problem.
void loadConfig(const std::string& file, const std::vector<std::string>& overrides,
                OptionTable& table);
// Same, from YAML text; `origin` names it in errors (e.g. "checkpoint runs/x/last.pt"). Bases
// named in the text are relative to the working directory. The text is taken as a config that
// wsss wrote (a checkpoint's): keys removed since (OptionTable::removed) are passed over in it,
// so older runs still resume and evaluate; in the overrides they are errors as in a file.
void loadConfigText(const std::string& yamlText, const std::string& origin,
                    const std::vector<std::string>& overrides, OptionTable& table);

// The effective config as YAML text: sections as nested maps in declaration order, lists in
// flow style. Loading it back reproduces every value exactly.
std::string dumpConfig(const OptionTable& table);
// Every option with its type, constraints, current value (the default on a fresh struct)
// and help, for `wsss <command> --help`.
std::string describeOptions(const OptionTable& table);

// Convenience for a root options struct with describe(OptionTable&).
template <class Root>
Root readConfig(const std::string& file, const std::vector<std::string>& overrides) {
  Root root;
  OptionTable table;
  root.describe(table);
  loadConfig(file, overrides, table);
  return root;
}

template <class Root>
Root readConfigText(const std::string& yamlText, const std::string& origin,
                    const std::vector<std::string>& overrides = {}) {
  Root root;
  OptionTable table;
  root.describe(table);
  loadConfigText(yamlText, origin, overrides, table);
  return root;
}

template <class Root>
std::string configToYaml(Root& root) {
  OptionTable table;
  root.describe(table);
  return dumpConfig(table);
}

template <class Root>
std::string describeConfig() {
  Root root;
  OptionTable table;
  root.describe(table);
  return describeOptions(table);
}

}  // namespace wsss
