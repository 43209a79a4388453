#include "core/config/yaml_text.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <regex>

namespace wsss {

namespace {

const std::regex& decimalInt() {
  static const std::regex pattern("[-+]?[0-9]+");
  return pattern;
}

const std::regex& floatNumber() {
  static const std::regex pattern(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  return pattern;
}

// Words another YAML reader would turn into a bool or null; such strings get quoted.
bool isReservedWord(const std::string& text) {
  static const std::array<const char*, 22> words = {
      "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes",
      "YES",  "no",   "No",   "NO",   "on",   "On",   "ON",    "off",   "Off",   "OFF", "~"};
  for (const char* word : words) {
    if (text == word) return true;
  }
  return text == "y" || text == "Y" || text == "n" || text == "N";
}

bool isPlainSafe(const std::string& text) {
  if (text.empty() || isReservedWord(text)) return false;
  if (std::regex_match(text, floatNumber()) || looksLikeYamlInt(text)) return false;
  const auto isWordChar = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '/';
  };
  if (!isWordChar(text.front())) return false;
  for (char c : text) {
    if (!isWordChar(c) && c != '-' && c != '+') return false;
  }
  return true;
}

}  // namespace

bool looksLikeYamlInt(const std::string& text) {
  static const std::regex based("[-+]?0x[0-9a-fA-F]+|[-+]?0o[0-7]+");
  return std::regex_match(text, decimalInt()) || std::regex_match(text, based);
}

std::optional<int64_t> parseYamlInt(const std::string& text) {
  if (!looksLikeYamlInt(text)) return std::nullopt;
  size_t position = 0;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    position = 1;
  }
  int base = 10;
  if (text.compare(position, 2, "0x") == 0 || text.compare(position, 2, "0o") == 0) {
    base = text[position + 1] == 'x' ? 16 : 8;
    position += 2;
  }
  // Parse the magnitude unsigned so that the most negative int64 is still accepted.
  uint64_t magnitude = 0;
  const char* begin = text.data() + position;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(begin, end, magnitude, base);
  if (result.ec != std::errc() || result.ptr != end) return std::nullopt;
  const uint64_t limit = static_cast<uint64_t>(INT64_MAX) + (negative ? 1 : 0);
  if (magnitude > limit) return std::nullopt;
  if (negative) return static_cast<int64_t>(0 - magnitude);
  return static_cast<int64_t>(magnitude);
}

std::optional<double> parseYamlFloat(const std::string& text) {
  if (text == ".inf" || text == ".Inf" || text == ".INF" || text == "+.inf" || text == "+.Inf" ||
      text == "+.INF") {
    return INFINITY;
  }
  if (text == "-.inf" || text == "-.Inf" || text == "-.INF") return -INFINITY;
  if (text == ".nan" || text == ".NaN" || text == ".NAN") return NAN;
  if (std::regex_match(text, floatNumber())) {
    const size_t start = text[0] == '+' ? 1 : 0;
    double value = 0;
    const char* end = text.data() + text.size();
    const auto result = std::from_chars(text.data() + start, end, value);
    if (result.ec != std::errc() || result.ptr != end) return std::nullopt;
    return value;
  }
  if (const auto integer = parseYamlInt(text)) return static_cast<double>(*integer);
  return std::nullopt;
}

std::string yamlNumber(double value) {
  if (std::isnan(value)) return ".nan";
  if (std::isinf(value)) return value > 0 ? ".inf" : "-.inf";
  // Plain decimals read best in the range configs use; far outside it, an exponent.
  const double magnitude = std::fabs(value);
  const bool fixed = magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e16);
  std::array<char, 512> buffer{};
  const auto result =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                    fixed ? std::chars_format::fixed : std::chars_format::scientific);
  std::string text(buffer.data(), result.ptr);
  if (fixed) return text;
  // "1e-05" -> "1e-5": the same number, as people write it.
  const size_t exponent = text.find('e') + 2;
  const size_t digits = text.find_first_not_of('0', exponent);
  text.erase(exponent, std::min(digits, text.size() - 1) - exponent);
  return text;
}

std::string yamlString(const std::string& value) {
  if (isPlainSafe(value)) return value;
  std::string quoted = "\"";
  for (char c : value) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\t':
        quoted += "\\t";
        break;
      case '\r':
        quoted += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          std::array<char, 8> escape{};
          std::snprintf(escape.data(), escape.size(), "\\x%02x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          quoted += escape.data();
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

}  // namespace wsss
