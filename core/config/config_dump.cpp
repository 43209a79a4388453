#include <map>
#include <string>
#include <vector>

#include "core/config/config_loader.h"

namespace wsss {

namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', start)) {
    parts.push_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  parts.push_back(path.substr(start));
  return parts;
}

std::string indent(size_t depth) { return std::string(2 * depth, ' '); }

// Walks the fields in declaration order and calls `enter(depth, sectionPath, name)` for each
// section as it opens, then `leaf(depth, field)`. A section's fields are contiguous, so this
// reproduces the nesting of the option structs.
template <class Enter, class Leaf>
void walkTable(const OptionTable& table, Enter enter, Leaf leaf) {
  std::vector<std::string> open;
  for (const auto& field : table.fields()) {
    const auto parts = splitPath(field->path());
    const size_t depth = parts.size() - 1;
    size_t common = 0;
    while (common < open.size() && common < depth && open[common] == parts[common]) ++common;
    open.resize(common);
    for (size_t level = common; level < depth; ++level) {
      open.push_back(parts[level]);
      std::string sectionPath;
      for (const auto& part : open) sectionPath += (sectionPath.empty() ? "" : ".") + part;
      enter(level, sectionPath, parts[level]);
    }
    leaf(depth, *field, parts.back());
  }
}

}  // namespace

std::string dumpConfig(const OptionTable& table) {
  std::string text;
  walkTable(
      table,
      [&](size_t depth, const std::string&, const std::string& name) {
        text += indent(depth) + name + ":\n";
      },
      [&](size_t depth, const OptionField& field, const std::string& name) {
        text += indent(depth) + name + ": " + field.valueText() + "\n";
      });
  return text;
}

std::string describeOptions(const OptionTable& table) {
  std::map<std::string, std::string> sectionHelp(table.sections().begin(), table.sections().end());
  std::string text;
  walkTable(
      table,
      [&](size_t depth, const std::string& path, const std::string&) {
        text += indent(depth) + path + ":";
        const std::string& help = sectionHelp[path];
        text += (help.empty() ? "" : " " + help) + "\n";
      },
      [&](size_t depth, const OptionField& field, const std::string&) {
        const std::string constraints = field.constraintText();
        text += indent(depth) + field.path() + " (" + field.typeName() +
                (constraints.empty() ? "" : ", " + constraints) + "; default " + field.valueText() +
                ")\n";
        if (!field.help().empty()) text += indent(depth + 2) + field.help() + "\n";
      });
  return text;
}

}  // namespace wsss
