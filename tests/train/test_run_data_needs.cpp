// A run reads saliency maps and clicks only when one of its methods does: the toy baseline
// trains, and data-check passes, on a devkit without SALImages/ and points.json; aamr on the
// same devkit stops at its first batch with an error naming the missing map and aamr.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "test_helpers.h"

namespace fs = std::filesystem;
using Catch::Contains;
using wsss::test::instantToyConfig;
using wsss::test::runWsss;
using wsss::test::TempDir;

namespace {

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

}  // namespace

TEST_CASE("a devkit without saliency maps and clicks serves every run that reads none",
          "[train][data]") {
  TempDir dir("run_data_needs");
  const fs::path config = instantToyConfig(dir, 2);
  const fs::path root = dir / "toy";
  REQUIRE(fs::remove_all(root / "SALImages") > 0);
  REQUIRE(fs::remove(root / "points.json"));

  const auto baseline =
      runWsss("train --config " + quoted(config) + " --work-dir " + quoted(dir / "baseline"));
  INFO(baseline.output);
  CHECK(baseline.exitCode == 0);
  CHECK(fs::exists(dir / "baseline" / "checkpoints" / "last.pt"));

  const auto checked = runWsss("data-check --config " + quoted(config));
  CHECK(checked.exitCode == 0);
  CHECK_THAT(checked.output, Contains("saliency maps: not checked"));
  CHECK_THAT(checked.output, Contains("clicks: not checked"));

  // aamr reads saliency maps: the first batch names a missing one, and aamr.
  const auto aamr = runWsss("train --config " + quoted(config) + " aamr.enabled=true --work-dir " +
                            quoted(dir / "aamr"));
  INFO(aamr.output);
  CHECK(aamr.exitCode == 1);
  CHECK_THAT(aamr.output,
             Contains("aamr reads saliency maps, but " + (root / "SALImages").string() + "/"));
  CHECK_THAT(aamr.output, Contains(".png does not exist"));
  CHECK_FALSE(fs::exists(dir / "aamr" / "checkpoints" / "last.pt"));

  // data-check says the same before any training, for every image of the training split only.
  const auto aamrCheck = runWsss("data-check --config " + quoted(config) + " aamr.enabled=true");
  CHECK(aamrCheck.exitCode == 1);
  CHECK_THAT(aamrCheck.output, Contains("missing_saliency: 16 ("));
  CHECK_THAT(aamrCheck.output, Contains("aamr reads saliency maps"));
}
