#pragma once
// How wsss writes JSON. Every JSON file goes through nlohmann/json, as `ordered_json` so keys
// stay in the order the code writes them (people read these files). A number that is not
// finite is written as null (nlohmann's rule: JSON has no NaN or Infinity).
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace wsss {

// `value` rounded to `digits` significant digits (printf's %.*g) and read back. The dump prints
// the shortest text that reads back as the same double, so a value rounded here is printed
// with at most those digits: a float32 loss rounded to 9 digits keeps exactly the float
// (0.1f gives 0.100000001), without the double's noise (0.10000000149011612).
// Non-finite values pass through.
double roundedToSignificantDigits(double value, int digits);

// `value` rounded to `decimals` places after the point (%.*f) and read back. The dump drops
// trailing zeros: 95 with 4 decimals is written 95.0, 12.34561 as 12.3456.
double roundedToDecimals(double value, int decimals);

// `value` as a JSON file's text: two-space indents and a final newline.
std::string jsonFileText(const nlohmann::ordered_json& value);

// `value` on one line without a newline, as a line of a JSON Lines file.
std::string jsonLineText(const nlohmann::ordered_json& value);

}  // namespace wsss
