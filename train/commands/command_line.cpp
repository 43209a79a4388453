#include "train/commands/command_line.h"

#include <cerrno>
#include <cstdlib>

#include "core/error.h"

namespace wsss {

namespace {

const FlagSpec* findFlag(const std::vector<FlagSpec>& flags, const std::string& name) {
  for (const FlagSpec& flag : flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

std::string knownFlags(const std::vector<FlagSpec>& flags) {
  std::string list;
  for (const FlagSpec& flag : flags) list += (list.empty() ? "--" : ", --") + flag.name;
  return list.empty() ? "none" : list;
}

}  // namespace

bool ParsedArguments::has(const std::string& flag) const {
  return values_.count(flag) > 0 || switches_.count(flag) > 0;
}

std::string ParsedArguments::text(const std::string& flag, const std::string& fallback) const {
  const auto found = values_.find(flag);
  return found == values_.end() ? fallback : found->second;
}

int64_t ParsedArguments::integer(const std::string& flag, int64_t fallback) const {
  const auto found = values_.find(flag);
  if (found == values_.end()) return fallback;
  const std::string& value = found->second;
  char* end = nullptr;
  errno = 0;
  const long long parsed = std::strtoll(value.c_str(), &end, 10);
  WSSS_CHECK(!value.empty() && end && *end == '\0' && errno == 0, "--", flag,
             ": expected an integer, got '", value, "'");
  return parsed;
}

std::vector<std::string> ParsedArguments::texts(const std::string& flag) const {
  const auto found = manyValues_.find(flag);
  return found == manyValues_.end() ? std::vector<std::string>{} : found->second;
}

ParsedArguments parseArguments(const std::vector<FlagSpec>& flags,
                               const std::vector<std::string>& arguments) {
  ParsedArguments parsed;
  for (size_t index = 0; index < arguments.size(); ++index) {
    const std::string& argument = arguments[index];
    if (argument.rfind("--", 0) == 0) {
      std::string name = argument.substr(2);
      std::string inlineValue;
      const bool hasInlineValue = name.find('=') != std::string::npos;
      if (hasInlineValue) {
        inlineValue = name.substr(name.find('=') + 1);
        name = name.substr(0, name.find('='));
      }
      const FlagSpec* flag = findFlag(flags, name);
      WSSS_CHECK(flag, "unknown option --", name, "; known options: ", knownFlags(flags));
      if (flag->valueName.empty()) {
        WSSS_CHECK(!hasInlineValue, "--", name, " takes no value");
        parsed.switches_.insert(name);
      } else if (flag->manyValues) {
        std::vector<std::string>& values = parsed.manyValues_[name];
        if (hasInlineValue) values.push_back(inlineValue);
        while (index + 1 < arguments.size() && arguments[index + 1].rfind("--", 0) != 0 &&
               arguments[index + 1].find('=') == std::string::npos) {
          values.push_back(arguments[++index]);
        }
        WSSS_CHECK(!values.empty(), "--", name, " needs a value: --", name, " ",
                   flag->valueName);
        parsed.values_[name] = values.back();
      } else if (hasInlineValue) {
        parsed.values_[name] = inlineValue;
      } else if (flag->optionalValue) {
        const bool valueFollows = index + 1 < arguments.size() &&
                                  arguments[index + 1].rfind("--", 0) != 0 &&
                                  arguments[index + 1].find('=') == std::string::npos;
        if (valueFollows) {
          parsed.values_[name] = arguments[++index];
        } else {
          parsed.switches_.insert(name);
        }
      } else {
        WSSS_CHECK(index + 1 < arguments.size(), "--", name, " needs a value: --", name, " ",
                   flag->valueName);
        parsed.values_[name] = arguments[++index];
      }
    } else if (argument.find('=') != std::string::npos) {
      parsed.overrides_.push_back(argument);
    } else {
      WSSS_FAIL("unexpected argument '", argument,
                "': options start with --, config overrides look like key.sub=value");
    }
  }
  return parsed;
}

FlagSpec configFlag() {
  FlagSpec flag{"config", "FILE", "experiment YAML file (configs/...)"};
  flag.required = true;
  return flag;
}

FlagSpec workDirFlag(const std::string& help) { return {"work-dir", "DIR", help}; }

}  // namespace wsss
