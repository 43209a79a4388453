#pragma once
// Small string helpers shared by the file readers and the config loader.
#include <string>

namespace wsss {

// `text` without leading and trailing spaces, tabs and line ends.
inline std::string trim(const std::string& text) {
  const char* space = " \t\r\n";
  const size_t first = text.find_first_not_of(space);
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

}  // namespace wsss
