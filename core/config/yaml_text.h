#pragma once
// Scalar text in the YAML 1.2 core schema, read and written without yaml-cpp's loose
// conversions: a config must reject "1.5" for an integer and a dump must load back exactly.
#include <cstdint>
#include <optional>
#include <string>

namespace wsss {

// Decimal, 0x hexadecimal or 0o octal, with an optional sign; nullopt when the text is not
// an integer or does not fit in 64 bits.
std::optional<int64_t> parseYamlInt(const std::string& text);
bool looksLikeYamlInt(const std::string& text);
// Integers, decimals, exponents and .inf/-.inf/.nan; nullopt otherwise or when out of range.
std::optional<double> parseYamlFloat(const std::string& text);

// The shortest text that reads back as the same double (".inf", "-.inf", ".nan" included).
std::string yamlNumber(double value);
// A string as a scalar that reads back unchanged in block and flow context: plain when that
// is unambiguous, else double-quoted with escapes.
std::string yamlString(const std::string& value);

}  // namespace wsss
