#include <catch2/catch.hpp>

#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "test_helpers.h"

namespace fs = std::filesystem;
using wsss::test::readText;
using wsss::test::TempDir;
using wsss::test::writeText;

TEST_CASE("atomic writes create folders, replace whole files and leave no temporary",
          "[atomic_file]") {
  TempDir dir("atomic");
  const fs::path file = dir / "runs/a/config.yaml";
  wsss::writeFileAtomically(file.string(), "seed: 1\n");
  CHECK(readText(file) == "seed: 1\n");
  wsss::writeFileAtomically(file.string(), "x");
  CHECK(readText(file) == "x");
  CHECK_FALSE(fs::exists(file.string() + ".tmp"));
}

TEST_CASE("an atomic write that cannot happen names the path and keeps the old file",
          "[atomic_file]") {
  TempDir dir("atomic_fail");
  writeText(dir / "blocker", "a file where a folder should be");
  CHECK_THROWS_WITH(wsss::writeFileAtomically((dir / "blocker/config.yaml").string(), "x"),
                    Catch::Contains("blocker"));

  // The target exists as a folder: the rename fails and the folder is untouched.
  fs::create_directories(dir / "taken");
  writeText(dir / "taken/inside.txt", "kept");
  CHECK_THROWS_WITH(wsss::writeFileAtomically((dir / "taken").string(), "x"),
                    Catch::Contains("taken"));
  CHECK(readText(dir / "taken/inside.txt") == "kept");
  CHECK_FALSE(fs::exists((dir / "taken").string() + ".tmp"));
}
