// train.deterministic's global settings: deterministic algorithms and cuDNN on, cuDNN's
// autotuning off, and the cuBLAS workspace setting deterministic cuBLAS needs; and that `train`
// applies them.
#include <ATen/Context.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "core/config/config_loader.h"
#include "test_helpers.h"
#include "train/experiment_config.h"
#include "train/loop/trainer.h"
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

TEST_CASE("train applies train.deterministic before its first step", "[deterministic][train]") {
  wsss::test::TempDir dir("deterministic_train");
  const std::string configPath = wsss::test::instantToyConfig(dir, 2);
  for (const bool deterministic : {true, false}) {
    INFO("train.deterministic=" << deterministic);
    wsss::useDeterministicAlgorithms(!deterministic);
    const auto config = wsss::readConfig<wsss::ExperimentConfig>(
        configPath, {std::string("train.deterministic=") + (deterministic ? "true" : "false")});
    wsss::TrainingRequest request;
    request.config = config;
    request.workDir = (dir / (deterministic ? "on" : "off")).string();
    REQUIRE(wsss::runTraining(request) == 0);
    CHECK(at::globalContext().deterministicAlgorithms() == deterministic);
    CHECK(at::globalContext().deterministicCuDNN() == deterministic);
  }
  wsss::useDeterministicAlgorithms(false);
}
