#include "test_helpers.h"

#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "data/toy/toy_dataset.h"

namespace wsss::test {

namespace fs = std::filesystem;

TempDir::TempDir(const std::string& name) {
  static std::atomic<int> counter{0};
  const char* base = std::getenv("WSSS_TEST_TMP");
  fs::path root = base ? fs::path(base) : fs::temp_directory_path() / "wsss_tests";
  path_ = root / (name + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

namespace {

CommandResult runShell(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  size_t count = 0;
  while ((count = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), count);
  }
  const int status = ::pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string fromEnvironment(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

}  // namespace

std::string wsssBinary() { return fromEnvironment("WSSS_BINARY", WSSS_BINARY); }
fs::path sourceDir() { return fromEnvironment("WSSS_SOURCE_DIR", WSSS_SOURCE_DIR); }
std::string pythonExecutable() { return fromEnvironment("WSSS_PYTHON", WSSS_PYTHON); }

CommandResult runWsss(const std::string& arguments) {
  return runShell(wsssBinary() + " " + arguments + " 2>&1");
}

CommandResult runReferenceScript(const std::string& script, const std::string& arguments) {
  const fs::path path = sourceDir() / "tests" / "reference" / script;
  return runShell(pythonExecutable() + " " + path.string() + " " + arguments + " 2>&1");
}

BackgroundWsss::BackgroundWsss(const std::string& arguments, const fs::path& logFile) {
  // exec replaces the shell, so the pid is wsss itself and signals reach it.
  const std::string command =
      "exec " + wsssBinary() + " " + arguments + " > '" + logFile.string() + "' 2>&1";
  pid_ = ::fork();
  if (pid_ == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

BackgroundWsss::~BackgroundWsss() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait();
  }
}

void BackgroundWsss::sendSignal(int signalNumber) { ::kill(pid_, signalNumber); }

bool BackgroundWsss::running() {
  if (pid_ <= 0 || exitCode_ >= 0) return false;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == 0) return true;
  exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return false;
}

int BackgroundWsss::wait() {
  if (pid_ <= 0) return -1;
  if (exitCode_ >= 0) return exitCode_;
  int status = 0;
  ::waitpid(pid_, &status, 0);
  exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exitCode_;
}

bool waitFor(const std::function<bool()>& condition, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

void writeText(const fs::path& file, const std::string& text) {
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << text;
}

std::string readText(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool sameTensor(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.defined() != b.defined()) return false;
  if (!a.defined()) return true;
  return a.sizes() == b.sizes() && a.dtype() == b.dtype() && torch::equal(a, b);
}

bool anyGradient(const std::vector<torch::Tensor>& parameters) {
  for (const auto& parameter : parameters) {
    if (parameter.grad().defined() && parameter.grad().abs().sum().item<double>() > 0) return true;
  }
  return false;
}

ExperimentConfig tinyCpuExperiment() {
  ExperimentConfig config;
  config.device = wsss::DeviceChoice::Cpu;
  config.model.backbone = "scratch";
  config.model.scratchWidth = 8;
  config.model.embedDim = 16;
  config.model.segChannels = 16;
  config.train.iterations = 10;
  return config;
}

Batch paddedRandomBatch(int64_t images, int64_t classes) {
  Batch batch;
  for (int64_t index = 0; index < images; ++index) batch.ids.push_back(std::to_string(index));
  batch.image = torch::randn({images, 3, 48, 48});
  batch.labels = torch::zeros({images, classes});
  for (int64_t index = 0; index < images; ++index) batch.labels[index][index % classes] = 1;
  batch.cropBox = torch::tensor({0, 0, 48, 48}, torch::kLong).repeat({images, 1});
  if (images > 1) batch.cropBox[1][3] = 32;
  return batch;
}

std::vector<std::string> termNames(const LossTerms& losses) {
  std::vector<std::string> names;
  for (const auto& term : losses.terms) names.push_back(term.first);
  return names;
}

torch::Tensor computeLossTerm(const std::string& name, StepContext& step) {
  for (const LossTerm& term : standardLossTerms()) {
    if (term.name == name) return term.compute(step);
  }
  throw std::runtime_error("no loss term named " + name);
}

std::string instantToyConfig(const TempDir& dir, int64_t iterations) {
  wsss::ToyDatasetOptions toy;
  toy.out = (dir / "toy").string();
  toy.trainImages = 16;
  toy.valImages = 4;
  toy.testImages = 2;
  wsss::writeToyDataset(toy);
  const std::string config = (dir / "instant.yaml").string();
  writeText(config, "base: " + (sourceDir() / "configs/toy/baseline.yaml").string() + "\n" +
                        "device: cpu\n"
                        "data:\n"
                        "  root: " +
                        (dir / "toy").string() +
                        "\n"
                        "  workers: 2\n"
                        "  augment:\n"
                        "    crop_size: 64\n"
                        "model:\n"
                        "  backbone: scratch\n"
                        "  scratch_width: 8\n"
                        "  embed_dim: 16\n"
                        "  seg_channels: 16\n"
                        "train:\n"
                        "  iterations: " +
                        std::to_string(iterations) +
                        "\n"
                        "  batch_size: 2\n"
                        "  warmup_iters: 2\n"
                        "  checkpoint_interval: 2\n"
                        "  keep_checkpoints: 2\n"
                        "  log_interval: 1\n"
                        "  eval_interval: 0\n"
                        "  threads: 1\n");
  return config;
}

}  // namespace wsss::test
