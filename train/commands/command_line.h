#pragma once
// Parsing of `wsss <command> [--flag value] [--switch] [key.sub=value ...]`. Every command has
// the same shape; what differs is its table of flags.
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace wsss {

struct FlagSpec {
  std::string name;       // without the leading dashes
  std::string valueName;  // e.g. "FILE"; empty for a switch that takes no value
  std::string help;
  // The value may be left out (`--resume` or `--resume FILE`): the next word is taken as the
  // value only when it is neither a flag nor a key=value override.
  bool optionalValue = false;
  bool required = false;  // shown without brackets in the usage line
  // Takes several values: every word after it that is neither a flag nor a key=value override
  // (`--input a.jpg b.jpg`, what a shell glob gives), and it may be given again.
  bool manyValues = false;
};

class ParsedArguments {
 public:
  bool has(const std::string& flag) const;
  std::string text(const std::string& flag, const std::string& fallback = "") const;
  // Every value of a flag that takes several (FlagSpec::manyValues), in order.
  std::vector<std::string> texts(const std::string& flag) const;
  // The flag's value as an integer; a value that is not one is an error naming the flag.
  int64_t integer(const std::string& flag, int64_t fallback) const;
  const std::vector<std::string>& overrides() const { return overrides_; }

 private:
  friend ParsedArguments parseArguments(const std::vector<FlagSpec>&,
                                        const std::vector<std::string>&);
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> manyValues_;
  std::set<std::string> switches_;
  std::vector<std::string> overrides_;
};

// Splits arguments into flags of `flags` and `key=value` config overrides. Unknown flags,
// missing values and stray words are errors that name them and list the known flags.
ParsedArguments parseArguments(const std::vector<FlagSpec>& flags,
                               const std::vector<std::string>& arguments);

struct Command {
  std::string name;
  std::string summary;
  std::vector<FlagSpec> flags;
  bool acceptsOverrides = false;  // takes --config FILE and key=value overrides
  std::function<int(const ParsedArguments&)> run;
};

// The flags config-driven commands share: --config FILE, and --work-dir DIR with what the
// command writes there.
FlagSpec configFlag();
FlagSpec workDirFlag(const std::string& help);

}  // namespace wsss
