#pragma once
// gloo::Context as ProcessGroupGloo.hpp's inline setTimeout calls it (README.md beside gloo/).
#include <chrono>

namespace gloo {

class Context {
 public:
  void setTimeout(std::chrono::milliseconds timeout);
};

}  // namespace gloo
