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
// The table keeps pointers to the members, so it must not outlive the struct it describes.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/config/choice.h"

namespace wsss {

// One leaf of the table: its dotted path, help text, where its value lives, and checks.
class OptionField {
 public:
  enum class Kind { Bool, Int, Float, String, Choice, IntList, FloatList, StringList };

  OptionField(std::string path, Kind kind, std::string help, void* target);

  // Range checks on numbers (and on every element of a number list).
  OptionField& atLeast(double lowest);
  OptionField& atMost(double highest);
  // Strictly greater than zero (scales, temperatures).
  OptionField& positive();
  // Lists: the number of elements must lie in [minimum, maximum].
  OptionField& length(size_t minimum, size_t maximum = std::numeric_limits<size_t>::max());
  // Strings: must not be empty; lists: must hold at least one element.
  OptionField& nonEmpty();
  // Any other rule, run after every value is loaded (so it may look at other members):
  // returns an empty string when the value is fine, else what is wrong.
  OptionField& rule(std::function<std::string()> check);

  const std::string& path() const { return path_; }
  const std::string& help() const { return help_; }
  Kind kind() const { return kind_; }
  const std::vector<std::string>& choices() const { return choices_; }
  bool isList() const;

  // Checks the current value against every constraint; empty when fine, else the problems
  // joined with "; ".
  std::string validate() const;
  // "int", "list of floats", "auto|cpu|cuda", ...: for help listings.
  std::string typeName() const;
  // The constraints in words (">= 0, length 2"), empty when there are none.
  std::string constraintText() const;
  // The current value as YAML flow text that loads back to the same value.
  std::string valueText() const;

 private:
  friend class OptionTable;
  friend struct OptionFieldAccess;
  void requireKind(const char* check, std::initializer_list<Kind> kinds) const;

  std::string path_;
  Kind kind_;
  std::string help_;
  void* target_;
  std::vector<std::string> choices_;
  // Choice fields read and write their value as a word: a string member, or an enum through
  // its choiceNames. A word the enum has no value for is kept until validation reports it (a
  // later file or override may still correct it).
  std::function<std::string()> readWord_;
  std::function<bool(const std::string&)> writeWord_;
  mutable std::string rejectedWord_;
  std::optional<double> lowest_;
  std::optional<double> highest_;
  bool positive_ = false;
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
  OptionField& field(const std::string& key, std::vector<int64_t>& value, const std::string& help);
  OptionField& field(const std::string& key, std::vector<double>& value, const std::string& help);
  OptionField& field(const std::string& key, std::vector<std::string>& value,
                     const std::string& help);
  // A string restricted to a fixed set of names; a wrong name lists the allowed ones.
  OptionField& choice(const std::string& key, std::string& value, std::vector<std::string> allowed,
                      const std::string& help);
  // An enum choice: the words are those of its choiceNames.
  template <class Enum, class = std::enable_if_t<std::is_enum_v<Enum>>>
  OptionField& choice(const std::string& key, Enum& value, const std::string& help) {
    return wordChoice(
        key, choiceWords<Enum>(), help, [&value] { return choiceName(value); },
        [&value](const std::string& word) {
          const std::optional<Enum> parsed = parseChoice<Enum>(word);
          if (parsed) value = *parsed;
          return parsed.has_value();
        });
  }

  // Nests another options struct (anything with describe(OptionTable&)) under `key`.
  template <class Options>
  void section(const std::string& key, Options& options, const std::string& help) {
    beginSection(key, help);
    options.describe(*this);
    endSection();
  }

  // A key that is no longer an option: a config that sets it is an error carrying `message`
  // (what took its place), rather than "unknown key". Help and dumps leave it out.
  void removed(const std::string& key, const std::string& message);

  // Fields in declaration order; a section's fields are contiguous.
  const std::vector<std::unique_ptr<OptionField>>& fields() const { return fields_; }
  // (dotted path, help) of every section in declaration order.
  const std::vector<std::pair<std::string, std::string>>& sections() const { return sectionHelp_; }
  const OptionField* find(const std::string& path) const;
  // An already declared field by its full dotted path, e.g. to attach a rule that involves
  // another section. Throws if there is none.
  OptionField& declared(const std::string& path);
  bool isSection(const std::string& path) const;
  // (dotted path, message) of every removed key, in declaration order.
  const std::vector<std::pair<std::string, std::string>>& removedKeys() const { return removed_; }

 private:
  std::string join(const std::string& key) const;
  void checkNewKey(const std::string& key) const;
  void beginSection(const std::string& key, const std::string& help);
  void endSection();
  OptionField& add(const std::string& key, OptionField::Kind kind, const std::string& help,
                   void* target);
  OptionField& wordChoice(const std::string& key, std::vector<std::string> allowed,
                          const std::string& help, std::function<std::string()> read,
                          std::function<bool(const std::string&)> write);

  std::vector<std::string> prefix_;
  std::vector<std::unique_ptr<OptionField>> fields_;
  std::vector<std::pair<std::string, std::string>> sectionHelp_;
  std::vector<std::pair<std::string, std::string>> removed_;
};

}  // namespace wsss
