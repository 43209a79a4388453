#pragma once
// Shared test fixtures: scratch folders, running the wsss binary, tensor comparison.
#include <torch/types.h>

#include <filesystem>
#include <string>

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

struct CommandResult {
  int exitCode = -1;
  std::string output;  // stdout and stderr together
};

// Runs build/wsss with the given argument string (shell-quoted by the caller).
CommandResult runWsss(const std::string& arguments);

// Writes text to a file, creating parent folders.
void writeText(const std::filesystem::path& file, const std::string& text);
std::string readText(const std::filesystem::path& file);

// Runs a script of tests/reference/ with the Python that has torch (and, after scripts/test.sh,
// torchvision and torchmetrics); the arguments are shell-quoted by the caller.
CommandResult runReferenceScript(const std::string& script, const std::string& arguments);

bool sameTensor(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace wsss::test
