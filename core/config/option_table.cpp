#include "core/config/option_table.h"

#include <algorithm>
#include <sstream>

#include "core/config/option_field_access.h"
#include "core/config/yaml_text.h"
#include "core/error.h"

namespace wsss {

namespace {

using Kind = OptionField::Kind;

template <class T>
std::string flowList(const std::vector<T>& values, std::string (*format)(const T&)) {
  std::string text = "[";
  for (size_t index = 0; index < values.size(); ++index) {
    if (index > 0) text += ", ";
    text += format(values[index]);
  }
  return text + "]";
}

std::string intText(const int64_t& value) { return std::to_string(value); }
std::string floatText(const double& value) { return yamlNumber(value); }
std::string stringText(const std::string& value) { return yamlString(value); }

std::string joinProblems(const std::vector<std::string>& problems) {
  std::string joined;
  for (const auto& problem : problems) {
    if (!joined.empty()) joined += "; ";
    joined += problem;
  }
  return joined;
}

}  // namespace

OptionField::OptionField(std::string path, Kind kind, std::string help, void* target)
    : path_(std::move(path)), kind_(kind), help_(std::move(help)), target_(target) {}

// A constraint that cannot apply to the field's type is a mistake in describe(), caught
// the first time the table is built.
void OptionField::requireKind(const char* check, std::initializer_list<Kind> kinds) const {
  WSSS_CHECK(std::find(kinds.begin(), kinds.end(), kind_) != kinds.end(), "option ", path_, ": ",
             check, "() does not apply to ", kind_ == Kind::Choice ? "choice" : typeName(),
             " fields");
}

OptionField& OptionField::atLeast(double lowest) {
  requireKind("atLeast", {Kind::Int, Kind::Float, Kind::IntList, Kind::FloatList});
  lowest_ = lowest;
  return *this;
}

OptionField& OptionField::atMost(double highest) {
  requireKind("atMost", {Kind::Int, Kind::Float, Kind::IntList, Kind::FloatList});
  highest_ = highest;
  return *this;
}

OptionField& OptionField::positive() {
  requireKind("positive", {Kind::Int, Kind::Float, Kind::IntList, Kind::FloatList});
  positive_ = true;
  return *this;
}

OptionField& OptionField::length(size_t minimum, size_t maximum) {
  requireKind("length", {Kind::IntList, Kind::FloatList, Kind::StringList});
  WSSS_CHECK(minimum <= maximum, "option ", path_, ": length(", minimum, ", ", maximum,
             ") is an empty range");
  minLength_ = minimum;
  maxLength_ = maximum;
  return *this;
}

OptionField& OptionField::nonEmpty() {
  requireKind("nonEmpty",
              {Kind::String, Kind::Choice, Kind::IntList, Kind::FloatList, Kind::StringList});
  nonEmpty_ = true;
  return *this;
}

OptionField& OptionField::rule(std::function<std::string()> check) {
  rules_.push_back(std::move(check));
  return *this;
}

bool OptionField::isList() const {
  return kind_ == Kind::IntList || kind_ == Kind::FloatList || kind_ == Kind::StringList;
}

std::string OptionField::validate() const {
  std::vector<std::string> problems;
  const auto checkNumber = [&](double value, const std::string& where) {
    if (lowest_ && !(value >= *lowest_)) {
      problems.push_back("must be >= " + yamlNumber(*lowest_) + ", got " + yamlNumber(value) +
                         where);
    }
    if (positive_ && !(value > 0)) {
      problems.push_back("must be > 0, got " + yamlNumber(value) + where);
    }
    if (highest_ && !(value <= *highest_)) {
      problems.push_back("must be <= " + yamlNumber(*highest_) + ", got " + yamlNumber(value) +
                         where);
    }
  };
  const auto checkLength = [&](size_t size) {
    if (nonEmpty_ && size == 0) problems.push_back("must not be empty");
    if (minLength_ && (size < *minLength_ || size > *maxLength_)) {
      std::ostringstream message;
      if (*minLength_ == *maxLength_) {
        message << "must have " << *minLength_ << " element" << (*minLength_ == 1 ? "" : "s");
      } else if (*maxLength_ == std::numeric_limits<size_t>::max()) {
        message << "must have at least " << *minLength_ << " element"
                << (*minLength_ == 1 ? "" : "s");
      } else {
        message << "must have " << *minLength_ << " to " << *maxLength_ << " elements";
      }
      message << ", got " << size;
      problems.push_back(message.str());
    }
  };
  switch (kind_) {
    case Kind::Bool:
      break;
    case Kind::Int:
      checkNumber(static_cast<double>(OptionFieldAccess::target<int64_t>(*this)), "");
      break;
    case Kind::Float:
      checkNumber(OptionFieldAccess::target<double>(*this), "");
      break;
    case Kind::String:
      if (nonEmpty_ && OptionFieldAccess::target<std::string>(*this).empty()) {
        problems.push_back("must not be empty");
      }
      break;
    case Kind::Choice: {
      const std::string value =
          rejectedWord_.empty() ? OptionFieldAccess::word(*this) : rejectedWord_;
      if (!rejectedWord_.empty() ||
          std::find(choices_.begin(), choices_.end(), value) == choices_.end()) {
        std::string allowed;
        for (const auto& name : choices_) allowed += (allowed.empty() ? "" : ", ") + name;
        problems.push_back("expected one of " + allowed + ", got '" + value + "'");
      }
      break;
    }
    case Kind::IntList: {
      const auto& values = OptionFieldAccess::target<std::vector<int64_t>>(*this);
      checkLength(values.size());
      for (size_t index = 0; index < values.size(); ++index) {
        checkNumber(static_cast<double>(values[index]), " at index " + std::to_string(index));
      }
      break;
    }
    case Kind::FloatList: {
      const auto& values = OptionFieldAccess::target<std::vector<double>>(*this);
      checkLength(values.size());
      for (size_t index = 0; index < values.size(); ++index) {
        checkNumber(values[index], " at index " + std::to_string(index));
      }
      break;
    }
    case Kind::StringList:
      checkLength(OptionFieldAccess::target<std::vector<std::string>>(*this).size());
      break;
  }
  for (const auto& check : rules_) {
    std::string problem = check();
    if (!problem.empty()) problems.push_back(std::move(problem));
  }
  return joinProblems(problems);
}

std::string OptionField::typeName() const {
  switch (kind_) {
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "string";
    case Kind::Choice: {
      std::string names;
      for (const auto& name : choices_) names += (names.empty() ? "" : "|") + name;
      return names;
    }
    case Kind::IntList:
      return "list of ints";
    case Kind::FloatList:
      return "list of floats";
    case Kind::StringList:
      return "list of strings";
  }
  return "";
}

std::string OptionField::constraintText() const {
  std::vector<std::string> parts;
  const std::string each = isList() ? "each " : "";
  if (lowest_) parts.push_back(each + ">= " + yamlNumber(*lowest_));
  if (positive_) parts.push_back(each + "> 0");
  if (highest_) parts.push_back(each + "<= " + yamlNumber(*highest_));
  if (minLength_) {
    if (*minLength_ == *maxLength_) {
      parts.push_back("length " + std::to_string(*minLength_));
    } else if (*maxLength_ == std::numeric_limits<size_t>::max()) {
      parts.push_back("length >= " + std::to_string(*minLength_));
    } else {
      parts.push_back("length " + std::to_string(*minLength_) + ".." + std::to_string(*maxLength_));
    }
  }
  if (nonEmpty_) parts.push_back("non-empty");
  std::string text;
  for (const auto& part : parts) text += (text.empty() ? "" : ", ") + part;
  return text;
}

std::string OptionField::valueText() const {
  switch (kind_) {
    case Kind::Bool:
      return OptionFieldAccess::target<bool>(*this) ? "true" : "false";
    case Kind::Int:
      return std::to_string(OptionFieldAccess::target<int64_t>(*this));
    case Kind::Float:
      return yamlNumber(OptionFieldAccess::target<double>(*this));
    case Kind::String:
      return yamlString(OptionFieldAccess::target<std::string>(*this));
    case Kind::Choice:
      return yamlString(OptionFieldAccess::word(*this));
    case Kind::IntList:
      return flowList(OptionFieldAccess::target<std::vector<int64_t>>(*this), &intText);
    case Kind::FloatList:
      return flowList(OptionFieldAccess::target<std::vector<double>>(*this), &floatText);
    case Kind::StringList:
      return flowList(OptionFieldAccess::target<std::vector<std::string>>(*this), &stringText);
  }
  return "";
}

OptionField& OptionTable::field(const std::string& key, bool& value, const std::string& help) {
  return add(key, Kind::Bool, help, &value);
}

OptionField& OptionTable::field(const std::string& key, int64_t& value, const std::string& help) {
  return add(key, Kind::Int, help, &value);
}

OptionField& OptionTable::field(const std::string& key, double& value, const std::string& help) {
  return add(key, Kind::Float, help, &value);
}

OptionField& OptionTable::field(const std::string& key, std::string& value,
                                const std::string& help) {
  return add(key, Kind::String, help, &value);
}

OptionField& OptionTable::field(const std::string& key, std::vector<int64_t>& value,
                                const std::string& help) {
  return add(key, Kind::IntList, help, &value);
}

OptionField& OptionTable::field(const std::string& key, std::vector<double>& value,
                                const std::string& help) {
  return add(key, Kind::FloatList, help, &value);
}

OptionField& OptionTable::field(const std::string& key, std::vector<std::string>& value,
                                const std::string& help) {
  return add(key, Kind::StringList, help, &value);
}

OptionField& OptionTable::choice(const std::string& key, std::string& value,
                                 std::vector<std::string> allowed, const std::string& help) {
  return wordChoice(
      key, std::move(allowed), help, [&value] { return value; },
      [&value](const std::string& word) {
        value = word;
        return true;
      });
}

OptionField& OptionTable::wordChoice(const std::string& key, std::vector<std::string> allowed,
                                     const std::string& help, std::function<std::string()> read,
                                     std::function<bool(const std::string&)> write) {
  WSSS_CHECK(!allowed.empty(), "option ", join(key), ": a choice needs at least one name");
  OptionField& added = add(key, Kind::Choice, help, nullptr);
  added.choices_ = std::move(allowed);
  added.readWord_ = std::move(read);
  added.writeWord_ = std::move(write);
  return added;
}

void OptionTable::removed(const std::string& key, const std::string& message) {
  checkNewKey(key);
  removed_.emplace_back(join(key), message);
}

const OptionField* OptionTable::find(const std::string& path) const {
  for (const auto& candidate : fields_) {
    if (candidate->path() == path) return candidate.get();
  }
  return nullptr;
}

OptionField& OptionTable::declared(const std::string& path) {
  for (const auto& candidate : fields_) {
    if (candidate->path() == path) return *candidate;
  }
  WSSS_FAIL("option ", path, " is not declared");
}

bool OptionTable::isSection(const std::string& path) const {
  return std::any_of(sectionHelp_.begin(), sectionHelp_.end(),
                     [&](const auto& section) { return section.first == path; });
}

std::string OptionTable::join(const std::string& key) const {
  std::string path;
  for (const auto& part : prefix_) path += part + ".";
  return path + key;
}

// Keys are single names: the dot separates sections, and "base" names a file's parents.
void OptionTable::checkNewKey(const std::string& key) const {
  const std::string path = join(key);
  WSSS_CHECK(!key.empty() && key.find_first_of(".= \t") == std::string::npos, "option '", path,
             "': a key must be a non-empty name without '.', '=' or spaces");
  WSSS_CHECK(!(prefix_.empty() && key == "base"),
             "option 'base': the top-level key 'base' is reserved for file inheritance");
  const bool removedBefore = std::any_of(removed_.begin(), removed_.end(),
                                         [&](const auto& entry) { return entry.first == path; });
  WSSS_CHECK(find(path) == nullptr && !isSection(path) && !removedBefore, "option ", path,
             " is declared twice");
}

void OptionTable::beginSection(const std::string& key, const std::string& help) {
  checkNewKey(key);
  sectionHelp_.emplace_back(join(key), help);
  prefix_.push_back(key);
}

void OptionTable::endSection() { prefix_.pop_back(); }

OptionField& OptionTable::add(const std::string& key, OptionField::Kind kind,
                              const std::string& help, void* target) {
  checkNewKey(key);
  fields_.push_back(std::make_unique<OptionField>(join(key), kind, help, target));
  return *fields_.back();
}

}  // namespace wsss
