#pragma once
// A choice among fixed words, held in code as an enum. Each enum declares, beside itself,
//   const ChoiceNames<Mode>& choiceNames(Mode);
// listing its words once; the option table parses and validates them, dumps write them back,
// and messages name a value with choiceName(value).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace wsss {

template <class Enum>
using ChoiceNames = std::vector<std::pair<Enum, std::string>>;

// The word of `value` in configs and on the command line.
template <class Enum>
const std::string& choiceName(Enum value) {
  for (const auto& [entry, word] : choiceNames(value)) {
    if (entry == value) return word;
  }
  throw Error("an enum value without a name in its choiceNames list");
}

// The enum value named `word`, or nothing.
template <class Enum>
std::optional<Enum> parseChoice(const std::string& word) {
  for (const auto& [entry, name] : choiceNames(Enum{})) {
    if (name == word) return entry;
  }
  return std::nullopt;
}

// Every word of the choice, in declaration order.
template <class Enum>
std::vector<std::string> choiceWords() {
  std::vector<std::string> words;
  for (const auto& entry : choiceNames(Enum{})) words.push_back(entry.second);
  return words;
}

}  // namespace wsss
