#pragma once
// What a run reports as it goes: a progress line on stderr every few steps, and every step as
// one JSON object per line in <work-dir>/metrics.jsonl (evaluations too), so a loss curve
// can be read back by any tool.
#include <chrono>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace wsss {

struct StepRecord {
  int64_t iteration = 0;                               // 1-based: steps done after this one
  std::vector<std::pair<std::string, double>> losses;  // each term, then "total"
  double lr = 0;
  double imagesPerSecond = 0;
  // Under torchrun: the seconds this rank waited for the gradients' sums over the ranks after
  // its backward pass; negative in one process, and then not logged.
  double gradientSyncSeconds = -1;
};

class ProgressLog {
 public:
  // Opens (appending to) `metricsPath`. When `resumedAt` >= 0, lines about steps after it
  // (written by a run that was killed after its last checkpoint) are dropped first, so the
  // file tells the one history the weights have.
  ProgressLog(const std::string& metricsPath, int64_t totalIterations, int64_t resumedAt);

  // {"iteration": 120, "loss": {"cls": .., "total": ..}, "lr": .., "images_per_s": ..}: each
  // value with 9 significant digits, which tell a float32 loss exactly; a value that is not a
  // finite number is written as null.
  void recordStep(const StepRecord& record);
  // {"iteration": 250, "eval": <evaluation>}: `evaluation` is an object such as {"split": "val",
  // "mIoU": 41.2346}; its numbers are written with 6 significant digits (null if not finite).
  void recordEvaluation(int64_t iteration, const nlohmann::ordered_json& evaluation);

  // "iteration 120/1000  eta 3m12s  cls 0.4120  seg 0.8731  total 1.2851  lr 1.00e-02  93.1 img/s"
  std::string progressLine(const StepRecord& record) const;

 private:
  std::ofstream metrics_;
  std::string metricsPath_;
  int64_t totalIterations_;
  int64_t firstIteration_ = -1;
  std::chrono::steady_clock::time_point firstStepTime_;
  std::chrono::steady_clock::time_point lastStepTime_;
};

// A duration in seconds as "1h02m", "3m12s" or "45s".
std::string formatDuration(double seconds);

}  // namespace wsss
