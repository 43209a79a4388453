#pragma once
// Shared test fixtures: scratch folders, running the wsss binary, tensor comparison.
#include <torch/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "data/batch.h"
#include "train/experiment_config.h"
#include "train/step/step_context.h"
#include "train/step/training_step.h"

namespace wsss::test {

// A fresh folder, removed when the object goes out of scope.
class TempDir {
 public:
  explicit TempDir(const std::string& name = "tmp");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& child) const { return path_ / child; }

 private:
  std::filesystem::path path_;
};

// Where the tests find what they run: the wsss binary, the source tree (configs/ and
// tests/reference/) and the Python with torch. The build's paths unless the environment
// variables WSSS_BINARY, WSSS_SOURCE_DIR and WSSS_PYTHON name others, as the relocated bundle
// of scripts/gpu-bundle.sh does.
std::string wsssBinary();
std::filesystem::path sourceDir();
std::string pythonExecutable();

struct CommandResult {
  int exitCode = -1;
  std::string output;  // stdout and stderr together
};

// Runs build/wsss with the given argument string (shell-quoted by the caller).
CommandResult runWsss(const std::string& arguments);

// Writes text to a file, creating parent folders.
void writeText(const std::filesystem::path& file, const std::string& text);
std::string readText(const std::filesystem::path& file);

// build/wsss running in the background, its output going to a log file; for tests that stop a
// run with a signal.
class BackgroundWsss {
 public:
  BackgroundWsss(const std::string& arguments, const std::filesystem::path& logFile);
  ~BackgroundWsss();  // kills the process if it still runs
  BackgroundWsss(const BackgroundWsss&) = delete;
  BackgroundWsss& operator=(const BackgroundWsss&) = delete;
  void sendSignal(int signalNumber);
  bool running();
  // Waits for the end; the exit code, or 128 + the signal that ended it.
  int wait();

 private:
  int pid_ = -1;
  int exitCode_ = -1;
};

// Polls `condition` every 20 ms for up to `seconds`; whether it became true.
bool waitFor(const std::function<bool()>& condition, double seconds);

// Runs a script of tests/reference/ with the Python that has torch (and, after scripts/test.sh,
// torchvision and torchmetrics); the arguments are shell-quoted by the caller.
CommandResult runReferenceScript(const std::string& script, const std::string& arguments);

bool sameTensor(const torch::Tensor& a, const torch::Tensor& b);

// Whether any of `parameters` holds a non-zero gradient.
bool anyGradient(const std::vector<torch::Tensor>& parameters);

// A CPU experiment with the smallest from-scratch network (width 8, 16-channel heads) and a
// 10-step schedule: what step-level tests build their models from.
ExperimentConfig tinyCpuExperiment();

// `images` random 48 x 48 images, image i labelled with class i mod `classes`, the second one
// padded on the right (its crop box ends at column 32): the batch the step tests run.
Batch paddedRandomBatch(int64_t images, int64_t classes);

// The names of a step's loss terms, in order.
std::vector<std::string> termNames(const LossTerms& losses);

// The standard loss term `name` (e.g. "rcm") computed on `step`, as the training step would.
torch::Tensor computeLossTerm(const std::string& name, StepContext& step);

// A devkit of 16 training and 4 validation images (and 2 test images without masks) under
// <dir>/toy, and <dir>/instant.yaml: the toy baseline on it with a tiny CPU network, a
// checkpoint every 2 steps and `iterations` steps, trained in seconds. Returns the config path.
std::string instantToyConfig(const TempDir& dir, int64_t iterations);

}  // namespace wsss::test
