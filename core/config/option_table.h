#pragma once
// One table of typed fields per options struct. The same table parses YAML, validates,
// prints help and dumps the effective config, so modules never look keys up by string.
//
// An options struct describes itself:
//   struct DataOptions {
//     std::string root = "datasets/toy";
//     int64_t workers = 2;
//     void describe(OptionTable& table) {
//       table.field("root", root, "folder holding JPEGImages");
//       table.field("workers", workers, "loader threads").atLeast(0);
//     }
//   };
// and a parent nests it with table.section("data", data, "dataset and augmentation").
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wsss {

// One leaf of the table: its dotted path, help text, how to read and write it, and checks.
class OptionField {
 public:
  enum class Kind { Bool, Int, Float, String, Choice, IntList, FloatList, StringList };

  OptionField(std::string path, Kind kind, std::string help, void* target);

  // Range checks on numbers (and on every element of a number list).
  OptionField& atLeast(double lowest);
  OptionField& atMost(double highest);
  // Lists: required length range; strings: must not be empty.
  OptionField& length(size_t minimum, size_t maximum);
  OptionField& nonEmpty();
  // Any other rule: returns an empty string when the value is fine, else what is wrong.
  OptionField& rule(std::function<std::string()> check);

  const std::string& path() const { return path_; }
  const std::string& help() const { return help_; }
  Kind kind() const { return kind_; }
  const std::vector<std::string>& choices() const { return choices_; }

  // Parses one YAML scalar or sequence given as text (already extracted by the loader).
  // Returns an error message (empty when fine).
  std::string validate() const;
  std::string typeName() const;
  std::string valueText() const;  // the current value as YAML flow text

 private:
  friend class OptionTable;
  friend struct OptionFieldAccess;
  std::string path_;
  Kind kind_;
  std::string help_;
  void* target_;
  std::vector<std::string> choices_;
  std::optional<double> lowest_;
  std::optional<double> highest_;
  std::optional<size_t> minLength_;
  std::optional<size_t> maxLength_;
  bool nonEmpty_ = false;
  std::vector<std::function<std::string()>> rules_;
};

class OptionTable {
 public:
  OptionField& field(const std::string& key, bool& value, const std::string& help);
  OptionField& field(const std::string& key, int64_t& value, const std::string& help);
  OptionField& field(const std::string& key, double& value, const std::string& help);
  OptionField& field(const std::string& key, std::string& value, const std::string& help);
  OptionField& field(const std::string& key, std::vector<int64_t>& value,
                     const std::string& help);
  OptionField& field(const std::string& key, std::vector<double>& value,
                     const std::string& help);
  OptionField& field(const std::string& key, std::vector<std::string>& value,
                     const std::string& help);
  // A string restricted to a fixed set of names; a wrong name lists the allowed ones.
  OptionField& choice(const std::string& key, std::string& value,
                      std::vector<std::string> allowed, const std::string& help);

  // Nests another options struct (anything with describe(OptionTable&)) under `key`.
  template <class Options>
  void section(const std::string& key, Options& options, const std::string& help) {
    sectionHelp_.emplace_back(join(key), help);
    prefix_.push_back(key);
    options.describe(*this);
    prefix_.pop_back();
  }

  const std::vector<std::unique_ptr<OptionField>>& fields() const { return fields_; }
  const std::vector<std::pair<std::string, std::string>>& sections() const {
    return sectionHelp_;
  }
  const OptionField* find(const std::string& path) const;

 private:
  std::string join(const std::string& key) const;
  OptionField& add(const std::string& key, OptionField::Kind kind, const std::string& help,
                   void* target);

  std::vector<std::string> prefix_;
  std::vector<std::unique_ptr<OptionField>> fields_;
  std::vector<std::pair<std::string, std::string>> sectionHelp_;
};

}  // namespace wsss
