#pragma once
// Errors are exceptions that say what was wrong, what was expected and where (file, key,
// image id). Only main() catches them, prints the message and exits non-zero.
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace wsss {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Parts>
std::string concat(Parts&&... parts) {
  std::ostringstream stream;
  (stream << ... << std::forward<Parts>(parts));
  return stream.str();
}
}  // namespace detail

}  // namespace wsss

// WSSS_CHECK(condition, "message parts", value, ...) throws wsss::Error with the parts joined.
#define WSSS_CHECK(condition, ...)                              \
  do {                                                          \
    if (!(condition)) {                                         \
      throw ::wsss::Error(::wsss::detail::concat(__VA_ARGS__)); \
    }                                                           \
  } while (false)

#define WSSS_FAIL(...) throw ::wsss::Error(::wsss::detail::concat(__VA_ARGS__))
