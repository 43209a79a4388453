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
};

}  // namespace wsss
