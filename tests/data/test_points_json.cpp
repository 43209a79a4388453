// The What's-the-Point clicks file: what it reads, and errors that name the file and say what
// is wrong, down to the image and the point.
#include <catch2/catch.hpp>
#include <filesystem>

#include "core/error.h"
#include "data/points_json.h"
#include "test_helpers.h"

using Catch::Contains;
using wsss::test::TempDir;
using wsss::test::writeText;

namespace {

// The error message of reading `text` as a points file (its path is in the message too).
std::string readError(const TempDir& dir, const std::string& text) {
  const std::string path = (dir / "points.json").string();
  writeText(path, text);
  try {
    wsss::readPointsJson(path);
  } catch (const wsss::Error& error) {
    const std::string message = error.what();
    CHECK_THAT(message, Contains("points file " + path));
    return message;
  }
  FAIL("no error for " << text);
  return "";
}

}  // namespace

TEST_CASE("points file: clicks per image, rank 1 when left out, null as no clicks", "[points]") {
  TempDir dir("points_read");
  const std::string path = (dir / "points.json").string();
  writeText(path,
            "{\"2007_000032\": [{\"x\": 120.0, \"y\": 88.5, \"rank\": 2, \"cls\": 1},\n"
            "                  {\"x\": 3, \"y\": 4, \"cls\": 0}],\n"
            " \"2007_000039\": [], \"2007_000063\": null}\n");
  const wsss::PointTable table = wsss::readPointsJson(path);
  REQUIRE(table.size() == 3);
  const auto& clicks = table.at("2007_000032");
  REQUIRE(clicks.size() == 2);
  CHECK(clicks[0].x == 120.0f);
  CHECK(clicks[0].y == 88.5f);
  CHECK(clicks[0].rank == 2);
  CHECK(clicks[0].cls == 1);
  CHECK(clicks[1].x == 3.0f);
  CHECK(clicks[1].rank == 1);
  CHECK(clicks[1].cls == 0);
  CHECK(table.at("2007_000039").empty());
  CHECK(table.at("2007_000063").empty());
}

TEST_CASE("points file: text that is not JSON is refused with where it broke", "[points]") {
  TempDir dir("points_not_json");
  CHECK_THAT(readError(dir, "{\"a\": [{\"x\": 1,}]}"),
             Contains("is not JSON: ") && Contains("line 1, column"));
  CHECK_THAT(readError(dir, "a: [1, 2]\n"), Contains("is not JSON: "));
  CHECK_THAT(readError(dir, "{\"a\": []"), Contains("is not JSON: "));
}

TEST_CASE("points file: JSON of another shape is refused naming the image and the point",
          "[points]") {
  TempDir dir("points_shape");
  CHECK_THAT(readError(dir, "[1, 2]"),
             Contains("is not in the clicks' shape: it is array") &&
                 Contains("must hold a JSON object mapping image ids to lists of points"));
  CHECK_THAT(readError(dir, "{\"img\": {\"x\": 1}}"),
             Contains("image img must map to a list of points, not object"));
  CHECK_THAT(readError(dir, "{\"img\": [[1, 2]]}"),
             Contains("point 0 of image img must be an object with x, y, rank and cls, not array"));
  CHECK_THAT(
      readError(dir, "{\"img\": [{\"x\": 1, \"y\": 2, \"cls\": 1}, {\"x\": 1, \"cls\": 1}]}"),
      Contains("point 1 of image img has no numeric \"y\""));
  CHECK_THAT(readError(dir, "{\"img\": [{\"x\": \"left\", \"y\": 2, \"cls\": 1}]}"),
             Contains("point 0 of image img has \"x\": \"left\", expected a number"));
  CHECK_THAT(readError(dir, "{\"img\": [{\"x\": 1, \"y\": 2, \"cls\": 1.5}]}"),
             Contains("point 0 of image img has \"cls\": 1.5, expected a whole number"));
  CHECK_THAT(readError(dir, "{\"img\": [{\"x\": 1, \"y\": 2, \"cls\": 1, \"rank\": null}]}"),
             Contains("point 0 of image img has no numeric \"rank\""));
}

TEST_CASE("points file: a missing or empty file is refused naming it", "[points]") {
  TempDir dir("points_missing");
  const std::string missing = (dir / "nowhere.json").string();
  CHECK_THROWS_WITH(wsss::readPointsJson(missing), Contains(missing) && Contains("does not exist"));
  const std::string empty = (dir / "empty.json").string();
  writeText(empty, "");
  CHECK_THROWS_WITH(wsss::readPointsJson(empty), Contains(empty) && Contains("is empty"));
}

TEST_CASE("points file: inputs the fuzzer found are refused by name", "[points]") {
  // tests/fuzz/corpus/points_json/regression_*: inputs that once escaped the reader with
  // nlohmann's exception instead of an error naming the file (scripts/fuzz.sh).
  TempDir dir("points_fuzz_regressions");
  int inputs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           wsss::test::sourceDir() / "tests/fuzz/corpus/points_json")) {
    if (entry.path().filename().string().rfind("regression_", 0) != 0) continue;
    ++inputs;
    CHECK_THAT(readError(dir, wsss::test::readText(entry.path())), Contains("is not JSON"));
  }
  CHECK(inputs >= 1);
}
