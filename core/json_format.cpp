#include "core/json_format.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace wsss {

namespace {

// printf's text of `value` read back. strtod rather than std::stod: a result that underflows
// to a denormal sets ERANGE, on which std::stod throws. A text too long for the buffer (%f of
// a huge number) has no digits after the point worth rounding: the value stays as it is.
double throughText(double value, const char* format, int precision) {
  if (!std::isfinite(value)) return value;
  char text[128];
  const int length = std::snprintf(text, sizeof text, format, precision, value);
  if (length < 0 || length >= static_cast<int>(sizeof text)) return value;
  return std::strtod(text, nullptr);
}

// Bytes that are not UTF-8 in a string (a path, a class name from a file) are written as
// U+FFFD instead of failing the whole file.
std::string dumped(const nlohmann::ordered_json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

double roundedToSignificantDigits(double value, int digits) {
  return throughText(value, "%.*g", digits);
}

double roundedToDecimals(double value, int decimals) {
  return throughText(value, "%.*f", decimals);
}

std::string jsonFileText(const nlohmann::ordered_json& value) { return dumped(value, 2) + "\n"; }

std::string jsonLineText(const nlohmann::ordered_json& value) { return dumped(value, -1); }

}  // namespace wsss
