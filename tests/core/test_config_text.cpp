#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "core/config/string_distance.h"
#include "core/config/yaml_text.h"

TEST_CASE("config text: integers follow the YAML core schema", "[config]") {
  CHECK(wsss::parseYamlInt("42") == 42);
  CHECK(wsss::parseYamlInt("-7") == -7);
  CHECK(wsss::parseYamlInt("+7") == 7);
  CHECK(wsss::parseYamlInt("0x1f") == 31);
  CHECK(wsss::parseYamlInt("0o17") == 15);
  CHECK(wsss::parseYamlInt("-9223372036854775808") == std::numeric_limits<int64_t>::min());
  CHECK_FALSE(wsss::parseYamlInt("9223372036854775808"));
  CHECK_FALSE(wsss::parseYamlInt("1.5"));
  CHECK_FALSE(wsss::parseYamlInt("1e3"));
  CHECK_FALSE(wsss::parseYamlInt("abc"));
  CHECK_FALSE(wsss::parseYamlInt(""));
}

TEST_CASE("config text: floats accept integers, exponents and the special values", "[config]") {
  CHECK(wsss::parseYamlFloat("0.1") == 0.1);
  CHECK(wsss::parseYamlFloat("1e-4") == 1e-4);
  CHECK(wsss::parseYamlFloat("+.5") == 0.5);
  CHECK(wsss::parseYamlFloat("3") == 3.0);
  CHECK(wsss::parseYamlFloat("-.inf") == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(*wsss::parseYamlFloat(".nan")));
  CHECK_FALSE(wsss::parseYamlFloat("1e999"));
  CHECK_FALSE(wsss::parseYamlFloat("fast"));
  CHECK_FALSE(wsss::parseYamlFloat("inf"));
}

TEST_CASE("config text: numbers print in the shortest form that reads back", "[config]") {
  for (double value : {0.1, 1e-4, 1.0 / 3.0, 2.0, 1e300, -2.5e-308, 123456789.125}) {
    CHECK(wsss::parseYamlFloat(wsss::yamlNumber(value)) == value);
  }
  CHECK(wsss::yamlNumber(0.1) == "0.1");
  CHECK(wsss::yamlNumber(2.0) == "2");
  CHECK(wsss::yamlNumber(1e-4) == "0.0001");
  CHECK(wsss::yamlNumber(1e-5) == "1e-5");
  CHECK(wsss::yamlNumber(-2.5e20) == "-2.5e+20");
  CHECK(wsss::yamlNumber(std::numeric_limits<double>::infinity()) == ".inf");
}

TEST_CASE("config text: strings are quoted only when plain text would change", "[config]") {
  CHECK(wsss::yamlString("datasets/toy") == "datasets/toy");
  CHECK(wsss::yamlString("resnet-50") == "resnet-50");
  CHECK(wsss::yamlString("") == "\"\"");
  CHECK(wsss::yamlString("null") == "\"null\"");
  CHECK(wsss::yamlString("12") == "\"12\"");
  CHECK(wsss::yamlString("a, b") == "\"a, b\"");
  CHECK(wsss::yamlString("say \"hi\"\n") == "\"say \\\"hi\\\"\\n\"");
}

TEST_CASE("config text: edit distance counts swaps as one step", "[config]") {
  CHECK(wsss::editDistance("train", "train") == 0);
  CHECK(wsss::editDistance("trian", "train") == 1);
  CHECK(wsss::editDistance("rooot", "root") == 1);
  CHECK(wsss::editDistance("", "abc") == 3);
  CHECK(wsss::closestName("data.rooot", {"data.workers", "data.root"}) == "data.root");
  CHECK_FALSE(wsss::closestName("completely", {"data.root", "lr"}));
}
