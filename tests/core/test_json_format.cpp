// How wsss writes JSON: numbers rounded to the digits a file promises, null where a number is
// not finite, whole files as indented text.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/json_format.h"

using wsss::roundedToDecimals;
using wsss::roundedToSignificantDigits;

TEST_CASE("json format: a rounded number is dumped with the digits it was rounded to", "[json]") {
  const auto dumped = [](double value) { return nlohmann::ordered_json(value).dump(); };
  // A float32 loss: 9 digits tell it exactly; unrounded, the double would show its noise.
  CHECK(dumped(roundedToSignificantDigits(0.1f, 9)) == "0.100000001");
  CHECK(static_cast<float>(roundedToSignificantDigits(0.1f, 9)) == 0.1f);
  CHECK(dumped(static_cast<double>(0.1f)) == "0.10000000149011612");
  CHECK(dumped(roundedToSignificantDigits(1.0 / 3.0, 6)) == "0.333333");
  CHECK(dumped(roundedToSignificantDigits(123456789.0, 6)) == "123457000.0");
  CHECK(dumped(roundedToSignificantDigits(1e-5, 9)) == "1e-05");
  CHECK(dumped(roundedToDecimals(12.34567, 4)) == "12.3457");
  CHECK(dumped(roundedToDecimals(95.0, 4)) == "95.0");
  CHECK(dumped(roundedToDecimals(1e300, 4)) == nlohmann::ordered_json(1e300).dump());
}

TEST_CASE("json format: a number that is not finite is written as null", "[json]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(std::isnan(roundedToSignificantDigits(nan, 9)));
  CHECK(std::isinf(roundedToDecimals(-inf, 4)));
  CHECK(wsss::jsonLineText({{"a", nan}, {"b", -inf}}) == "{\"a\":null,\"b\":null}");
}

TEST_CASE("json format: files are indented and end in a newline, keys in the order written",
          "[json]") {
  CHECK(wsss::jsonFileText({{"z", 1}, {"a", "text"}}) == "{\n  \"z\": 1,\n  \"a\": \"text\"\n}\n");
  CHECK(wsss::jsonLineText({{"z", 1}, {"a", {{"b", true}}}}) == "{\"z\":1,\"a\":{\"b\":true}}");
  // Bytes that are not UTF-8 (a path in another encoding) do not fail the file.
  CHECK(wsss::jsonLineText({{"path", "caf\xe9"}}) == "{\"path\":\"caf\xef\xbf\xbd\"}");
}
