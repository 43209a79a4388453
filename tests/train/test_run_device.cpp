// train.deterministic's global settings: deterministic algorithms and cuDNN on, cuDNN's
// autotuning off, and the cuBLAS workspace setting deterministic cuBLAS needs.
#include <ATen/Context.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "train/run_device.h"

TEST_CASE("useDeterministicAlgorithms sets what a repeatable CUDA run needs", "[deterministic]") {
  const char* before = std::getenv("CUBLAS_WORKSPACE_CONFIG");
  const std::string saved = before ? before : "";
  ::unsetenv("CUBLAS_WORKSPACE_CONFIG");

  wsss::useDeterministicAlgorithms(true);
  CHECK(at::globalContext().deterministicAlgorithms());
  CHECK_FALSE(at::globalContext().deterministicAlgorithmsWarnOnly());
  CHECK(at::globalContext().deterministicCuDNN());
  CHECK_FALSE(at::globalContext().benchmarkCuDNN());
  REQUIRE(std::getenv("CUBLAS_WORKSPACE_CONFIG") != nullptr);
  CHECK(std::string(std::getenv("CUBLAS_WORKSPACE_CONFIG")) == ":4096:8");

  // A setting the user made is kept.
  ::setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8", 1);
  wsss::useDeterministicAlgorithms(true);
  CHECK(std::string(std::getenv("CUBLAS_WORKSPACE_CONFIG")) == ":16:8");

  wsss::useDeterministicAlgorithms(false);
  CHECK_FALSE(at::globalContext().deterministicAlgorithms());
  CHECK_FALSE(at::globalContext().deterministicCuDNN());
  CHECK_FALSE(at::globalContext().benchmarkCuDNN());

  if (saved.empty()) {
    ::unsetenv("CUBLAS_WORKSPACE_CONFIG");
  } else {
    ::setenv("CUBLAS_WORKSPACE_CONFIG", saved.c_str(), 1);
  }
}
