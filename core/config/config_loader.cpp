#include "core/config/config_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include "core/config/string_distance.h"
#include "core/config/yaml_field.h"
#include "core/text.h"

namespace wsss {

namespace {

namespace fs = std::filesystem;

std::string formatProblems(const std::vector<std::string>& problems) {
  if (problems.size() == 1) return "invalid config: " + problems.front();
  std::string message = "invalid config, " + std::to_string(problems.size()) + " problems:";
  for (const auto& problem : problems) message += "\n  " + problem;
  return message;
}

std::string parentOf(const std::string& path) {
  const size_t dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

std::string lastComponent(const std::string& path) {
  const size_t dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

// Applies YAML documents and overrides to a table in order, so that a later source wins,
// and collects every problem instead of stopping at the first.
class ConfigReader {
 public:
  explicit ConfigReader(OptionTable& table);

  void readFile(const fs::path& file, const std::string& namedBy);
  void readText(const std::string& text, const std::string& origin, const fs::path& folder);
  void applyOverride(const std::string& override);
  // Whether a removed key is passed over (in a config an earlier wsss wrote) instead of
  // reported.
  void skipRemovedKeys(bool skip) { skipRemoved_ = skip; }
  // Runs every field's checks and throws when anything went wrong.
  void finish();

 private:
  void applyMap(const YAML::Node& map, const std::string& prefix, const std::string& origin);
  void applyValue(const std::string& path, const YAML::Node& value, const std::string& origin);
  void reportUnknown(const std::string& path, const std::string& origin);
  std::string suggestion(const std::string& path) const;

  OptionTable& table_;
  std::unordered_map<std::string, const OptionField*> fields_;
  std::set<std::string> sections_;
  // Section path ("" for the top) to the names of its keys, in declaration order.
  std::map<std::string, std::vector<std::string>> keys_;
  std::vector<std::string> allPaths_;
  // Removed key to the message that says what took its place.
  std::map<std::string, std::string> removed_;
  bool skipRemoved_ = false;
  std::map<std::string, std::string> origins_;
  std::vector<std::string> problems_;
  // Files being read, outermost first, as (canonical path, shown path): finds base cycles.
  std::vector<std::pair<std::string, std::string>> chain_;
};

ConfigReader::ConfigReader(OptionTable& table) : table_(table) {
  const auto addKey = [&](const std::string& path) {
    auto& siblings = keys_[parentOf(path)];
    const std::string name = lastComponent(path);
    if (std::find(siblings.begin(), siblings.end(), name) == siblings.end()) {
      siblings.push_back(name);
    }
  };
  for (const auto& section : table.sections()) sections_.insert(section.first);
  for (const auto& field : table.fields()) {
    fields_[field->path()] = field.get();
    // Register enclosing sections before the field so listings follow declaration order.
    for (size_t dot = field->path().find('.'); dot != std::string::npos;
         dot = field->path().find('.', dot + 1)) {
      addKey(field->path().substr(0, dot));
    }
    addKey(field->path());
    allPaths_.push_back(field->path());
  }
  for (const auto& section : table.sections()) {
    addKey(section.first);
    allPaths_.push_back(section.first);
  }
  for (const auto& [path, message] : table.removedKeys()) removed_[path] = message;
}

void ConfigReader::readFile(const fs::path& file, const std::string& namedBy) {
  const std::string shown = file.lexically_normal().string();
  const std::string where = namedBy.empty() ? "" : " (named in base: of " + namedBy + ")";
  std::error_code error;
  if (!fs::exists(file, error)) throw ConfigError({"config file not found: " + shown + where});
  if (!fs::is_regular_file(file, error)) {
    throw ConfigError({"config path is not a file: " + shown + where});
  }
  const std::string canonical = fs::weakly_canonical(file, error).string();
  for (size_t index = 0; index < chain_.size(); ++index) {
    if (chain_[index].first != canonical) continue;
    std::string cycle;
    for (size_t step = index; step < chain_.size(); ++step) cycle += chain_[step].second + " -> ";
    throw ConfigError({"cycle in base: " + cycle + shown});
  }
  std::ifstream stream(file, std::ios::binary);
  if (!stream) throw ConfigError({"cannot read config file " + shown + where});
  std::ostringstream text;
  text << stream.rdbuf();
  // A NUL byte is never in YAML text; it is in a checkpoint or image given by mistake, whose
  // bytes would otherwise end up in the syntax error.
  if (text.str().find('\0') != std::string::npos) {
    throw ConfigError({"config file " + shown + where +
                       " is not YAML text (it holds binary data; a checkpoint goes to "
                       "--checkpoint or --resume): name an experiment file, e.g. "
                       "configs/toy/baseline.yaml"});
  }
  chain_.emplace_back(canonical, shown);
  readText(text.str(), shown, file.parent_path());
  chain_.pop_back();
}

void ConfigReader::readText(const std::string& text, const std::string& origin,
                            const fs::path& folder) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    std::string where;
    if (!error.mark.is_null()) {
      where = " at line " + std::to_string(error.mark.line + 1) + ", column " +
              std::to_string(error.mark.column + 1);
    }
    throw ConfigError({"YAML syntax error in " + origin + where + ": " + error.msg});
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) {
    throw ConfigError(
        {origin + ": expected a map of options at the top level, got " + describeYamlValue(root)});
  }
  for (const auto& entry : root) {
    if (!entry.first.IsScalar() || entry.first.Scalar() != "base") continue;
    const YAML::Node& bases = entry.second;
    std::vector<std::string> names;
    if (bases.IsScalar()) {
      names.push_back(bases.Scalar());
    } else if (bases.IsSequence()) {
      for (const auto& name : bases) {
        if (!name.IsScalar()) {
          throw ConfigError(
              {"base: expected file names, got " + describeYamlValue(name) + " (" + origin + ")"});
        }
        names.push_back(name.Scalar());
      }
    } else {
      throw ConfigError({"base: expected a file name or a list of file names, got " +
                         describeYamlValue(bases) + " (" + origin + ")"});
    }
    // Bases merge left to right; the file itself then overrides them all.
    for (const auto& name : names) readFile(folder / name, origin);
  }
  applyMap(root, "", origin);
}

void ConfigReader::applyMap(const YAML::Node& map, const std::string& prefix,
                            const std::string& origin) {
  std::set<std::string> seen;
  for (const auto& entry : map) {
    if (!entry.first.IsScalar()) {
      problems_.push_back((prefix.empty() ? "top level" : prefix) + ": keys must be names, got " +
                          describeYamlValue(entry.first) + " (" + origin + ")");
      continue;
    }
    const std::string& key = entry.first.Scalar();
    if (prefix.empty() && key == "base") continue;
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (!seen.insert(key).second) {
      problems_.push_back(path + ": given twice (" + origin + ")");
      continue;
    }
    applyValue(path, entry.second, origin);
  }
}

void ConfigReader::applyValue(const std::string& path, const YAML::Node& value,
                              const std::string& origin) {
  if (const auto found = fields_.find(path); found != fields_.end()) {
    const std::string problem = readYamlField(*found->second, value);
    if (problem.empty()) {
      origins_[path] = origin;
    } else {
      problems_.push_back(path + ": " + problem + " (" + origin + ")");
    }
    return;
  }
  if (sections_.count(path)) {
    // A section left empty ("data:" with its keys commented out) changes nothing.
    if (value.IsMap()) {
      applyMap(value, path, origin);
    } else if (!value.IsNull()) {
      problems_.push_back(path + ": is a section, expected a map of its keys, got " +
                          describeYamlValue(value) + " (" + origin + ")");
    }
    return;
  }
  if (const auto removed = removed_.find(path); removed != removed_.end()) {
    if (!skipRemoved_) problems_.push_back(path + ": " + removed->second + " (" + origin + ")");
    return;
  }
  reportUnknown(path, origin);
}

void ConfigReader::reportUnknown(const std::string& path, const std::string& origin) {
  std::string message = path + ": unknown key (" + origin + ")";
  const std::string hint = suggestion(path);
  const std::string parent = parentOf(path);
  if (!hint.empty()) {
    message += "; did you mean " + hint + "?";
  } else if (const auto siblings = keys_.find(parent); siblings != keys_.end()) {
    message += parent.empty() ? "; top-level keys: " : "; keys in " + parent + ": ";
    for (size_t index = 0; index < siblings->second.size(); ++index) {
      message += (index > 0 ? ", " : "") + siblings->second[index];
    }
  }
  problems_.push_back(message);
}

// The nearest full dotted path; failing that, a field elsewhere whose own name is close, so
// that "train.workers" points at "data.workers". The allowance follows the last component:
// measured on the whole path, a long section prefix would let "train.zzz" match "train.lr".
std::string ConfigReader::suggestion(const std::string& path) const {
  const size_t allowance = std::max<size_t>(2, lastComponent(path).size() / 3);
  if (const auto nearest = closestName(path, allPaths_, allowance)) return *nearest;
  std::vector<std::string> names;
  for (const auto& field : table_.fields()) names.push_back(lastComponent(field->path()));
  const auto nearestName = closestName(lastComponent(path), names);
  if (!nearestName) return "";
  std::string best;
  size_t bestDistance = 0;
  for (const auto& field : table_.fields()) {
    if (lastComponent(field->path()) != *nearestName) continue;
    const size_t distance = editDistance(path, field->path());
    if (best.empty() || distance < bestDistance) {
      best = field->path();
      bestDistance = distance;
    }
  }
  return best;
}

void ConfigReader::applyOverride(const std::string& override) {
  const std::string origin = "command line override " + override;
  const size_t equals = override.find('=');
  if (equals == std::string::npos) {
    problems_.push_back("'" + override +
                        "': an override must look like key=value, e.g. train.iterations=100");
    return;
  }
  const std::string key = trim(override.substr(0, equals));
  if (key.empty()) {
    problems_.push_back("'" + override + "': an override needs a key before '='");
    return;
  }
  YAML::Node value;
  try {
    value = YAML::Load(override.substr(equals + 1));
  } catch (const YAML::Exception& error) {
    problems_.push_back(key + ": the value is not valid YAML (" + error.msg + "); quote it, e.g. " +
                        key + "='\"text\"' (" + origin + ")");
    return;
  }
  applyValue(key, value, origin);
}

void ConfigReader::finish() {
  for (const auto& field : table_.fields()) {
    const std::string problem = field->validate();
    if (problem.empty()) continue;
    const auto origin = origins_.find(field->path());
    problems_.push_back(field->path() + ": " + problem + " (" +
                        (origin == origins_.end() ? "default" : origin->second) + ")");
  }
  if (!problems_.empty()) throw ConfigError(problems_);
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : Error(formatProblems(problems)), problems_(std::move(problems)) {}

void loadConfig(const std::string& file, const std::vector<std::string>& overrides,
                OptionTable& table) {
  ConfigReader reader(table);
  if (!file.empty()) reader.readFile(file, "");
  for (const auto& override : overrides) reader.applyOverride(override);
  reader.finish();
}

void loadConfigText(const std::string& yamlText, const std::string& origin,
                    const std::vector<std::string>& overrides, OptionTable& table) {
  ConfigReader reader(table);
  // The saved config of an older run still holds the keys removed since; what they set is
  // now derived, so they are passed over. Overrides are typed now and are checked as usual.
  reader.skipRemovedKeys(true);
  reader.readText(yamlText, origin, fs::path());
  reader.skipRemovedKeys(false);
  for (const auto& override : overrides) reader.applyOverride(override);
  reader.finish();
}

}  // namespace wsss
