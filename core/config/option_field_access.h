#pragma once
// Typed access to the member an OptionField points at, for the config reader only; the
// public OptionField API stays free of casts.
#include "core/config/option_table.h"

namespace wsss {

struct OptionFieldAccess {
  template <class T>
  static T& target(const OptionField& field) {
    return *static_cast<T*>(field.target_);
  }
  // Sets a choice field from a word (membership is checked by validate()).
  static void setWord(const OptionField& field, const std::string& word) {
    field.rejectedWord_ = field.writeWord_(word) ? std::string() : word;
  }
  static std::string word(const OptionField& field) { return field.readWord_(); }
};

}  // namespace wsss
