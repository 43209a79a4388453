#include "core/config/yaml_field.h"

#include <yaml-cpp/yaml.h>

#include <optional>
#include <vector>

#include "core/config/option_field_access.h"
#include "core/config/yaml_text.h"

namespace wsss {

namespace {

using Kind = OptionField::Kind;

// yaml-cpp tags a quoted scalar "!" and a plain one "?"; only plain scalars are numbers or
// bools in YAML, so "5" in quotes stays a string.
bool isQuoted(const YAML::Node& node) { return node.Tag() == "!"; }

// One scalar of a field or list element, converted or nullopt with `problem` set.
template <class T>
std::optional<T> readScalar(Kind kind, const YAML::Node& node, std::string& problem);

template <>
std::optional<bool> readScalar<bool>(Kind, const YAML::Node& node, std::string& problem) {
  bool value = false;
  if (node.IsScalar() && !isQuoted(node) && YAML::convert<bool>::decode(node, value)) {
    return value;
  }
  problem = "expected true or false, got " + describeYamlValue(node);
  return std::nullopt;
}

template <>
std::optional<int64_t> readScalar<int64_t>(Kind, const YAML::Node& node, std::string& problem) {
  if (node.IsScalar() && !isQuoted(node)) {
    if (const auto value = parseYamlInt(node.Scalar())) return value;
    if (looksLikeYamlInt(node.Scalar())) {
      problem =
          "expected an integer, got " + describeYamlValue(node) + ", outside the 64-bit range";
      return std::nullopt;
    }
  }
  problem = "expected an integer, got " + describeYamlValue(node);
  return std::nullopt;
}

template <>
std::optional<double> readScalar<double>(Kind, const YAML::Node& node, std::string& problem) {
  if (node.IsScalar() && !isQuoted(node)) {
    if (const auto value = parseYamlFloat(node.Scalar())) return value;
  }
  problem = "expected a number, got " + describeYamlValue(node);
  return std::nullopt;
}

template <>
std::optional<std::string> readScalar<std::string>(Kind kind, const YAML::Node& node,
                                                   std::string& problem) {
  if (node.IsScalar()) return node.Scalar();
  // "key:" with nothing after it is the empty string, not a missing value.
  if (node.IsNull() && kind != Kind::Choice) return std::string();
  problem = "expected a string, got " + describeYamlValue(node);
  return std::nullopt;
}

template <class T>
std::string readInto(const OptionField& field, const YAML::Node& node) {
  std::string problem;
  auto value = readScalar<T>(field.kind(), node, problem);
  if (!value) return problem;
  OptionFieldAccess::target<T>(field) = std::move(*value);
  return "";
}

template <class T>
std::string readListInto(const OptionField& field, const YAML::Node& node,
                         const std::string& expected) {
  if (!node.IsSequence()) return "expected " + expected + ", got " + describeYamlValue(node);
  std::vector<T> values;
  values.reserve(node.size());
  for (size_t index = 0; index < node.size(); ++index) {
    std::string problem;
    auto value = readScalar<T>(field.kind(), node[index], problem);
    if (!value) return problem + " at index " + std::to_string(index);
    values.push_back(std::move(*value));
  }
  OptionFieldAccess::target<std::vector<T>>(field) = std::move(values);
  return "";
}

}  // namespace

std::string readYamlField(const OptionField& field, const YAML::Node& value) {
  switch (field.kind()) {
    case Kind::Bool:
      return readInto<bool>(field, value);
    case Kind::Int:
      return readInto<int64_t>(field, value);
    case Kind::Float:
      return readInto<double>(field, value);
    case Kind::String:
      return readInto<std::string>(field, value);
    case Kind::Choice: {
      // Membership is checked with the other constraints once every source is applied, so
      // a later file or override may still correct an earlier wrong name.
      std::string problem;
      const std::optional<std::string> word = readScalar<std::string>(field.kind(), value, problem);
      if (word) {
        OptionFieldAccess::setWord(field, *word);
        return "";
      }
      std::string allowed;
      for (const auto& name : field.choices()) allowed += (allowed.empty() ? "" : ", ") + name;
      return "expected one of " + allowed + ", got " + describeYamlValue(value);
    }
    case Kind::IntList:
      return readListInto<int64_t>(field, value, "a list of integers");
    case Kind::FloatList:
      return readListInto<double>(field, value, "a list of numbers");
    case Kind::StringList:
      return readListInto<std::string>(field, value, "a list of strings");
  }
  return "";
}

std::string describeYamlValue(const YAML::Node& value) {
  switch (value.Type()) {
    case YAML::NodeType::Scalar:
      if (isQuoted(value)) return "the quoted string \"" + value.Scalar() + "\"";
      return "'" + value.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "nothing";
}

}  // namespace wsss
