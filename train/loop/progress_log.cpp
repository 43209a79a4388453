#include "train/loop/progress_log.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace wsss {

namespace {

// The "iteration" of a metrics line, or -1 when it has none.
int64_t lineIteration(const std::string& line) {
  const std::string key = "\"iteration\": ";
  const size_t at = line.find(key);
  if (at == std::string::npos) return -1;
  return std::strtoll(line.c_str() + at + key.size(), nullptr, 10);
}

void dropStepsAfter(const std::string& path, int64_t iteration) {
  std::ifstream in(path);
  if (!in) return;
  std::string kept;
  std::string line;
  bool dropped = false;
  while (std::getline(in, line)) {
    if (lineIteration(line) > iteration) {
      dropped = true;
      continue;
    }
    kept += line + "\n";
  }
  if (dropped) writeFileAtomically(path, kept);
}

std::string number(double value) {
  if (!std::isfinite(value))
    return std::isnan(value) ? "NaN" : (value > 0 ? "Infinity" : "-Infinity");
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

}  // namespace

std::string formatDuration(double seconds) {
  const int64_t whole = std::max<int64_t>(0, std::llround(seconds));
  char text[32];
  if (whole >= 3600) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(whole / 3600),
                  static_cast<long long>(whole % 3600 / 60));
  } else if (whole >= 60) {
    std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(whole / 60),
                  static_cast<long long>(whole % 60));
  } else {
    std::snprintf(text, sizeof text, "%llds", static_cast<long long>(whole));
  }
  return text;
}

ProgressLog::ProgressLog(const std::string& metricsPath, int64_t totalIterations, int64_t resumedAt)
    : metricsPath_(metricsPath), totalIterations_(totalIterations) {
  if (resumedAt >= 0) dropStepsAfter(metricsPath, resumedAt);
  metrics_.open(metricsPath, std::ios::app);
  WSSS_CHECK(metrics_.good(), "cannot write ", metricsPath, ": check the work dir is writable");
}

void ProgressLog::recordStep(const StepRecord& record) {
  const auto now = std::chrono::steady_clock::now();
  if (firstIteration_ < 0) {
    firstIteration_ = record.iteration;
    firstStepTime_ = now;
  }
  lastStepTime_ = now;
  std::ostringstream line;
  line << "{\"iteration\": " << record.iteration << ", \"loss\": {";
  for (size_t index = 0; index < record.losses.size(); ++index) {
    line << (index ? ", " : "") << '"' << record.losses[index].first
         << "\": " << number(record.losses[index].second);
  }
  line << "}, \"lr\": " << number(record.lr)
       << ", \"images_per_s\": " << number(record.imagesPerSecond) << "}\n";
  metrics_ << line.str();
  metrics_.flush();
}

void ProgressLog::recordEvaluation(int64_t iteration, const std::string& json) {
  metrics_ << "{\"iteration\": " << iteration << ", \"eval\": {" << json << "}}\n";
  metrics_.flush();
}

std::string ProgressLog::progressLine(const StepRecord& record) const {
  std::ostringstream line;
  line << "iteration " << record.iteration << "/" << totalIterations_;
  const int64_t stepsTimed = record.iteration - firstIteration_;
  if (stepsTimed > 0) {
    const double elapsed = std::chrono::duration<double>(lastStepTime_ - firstStepTime_).count();
    const double remaining = elapsed / static_cast<double>(stepsTimed) *
                             static_cast<double>(totalIterations_ - record.iteration);
    line << "  eta " << formatDuration(remaining);
  }
  char text[64];
  for (const auto& [name, value] : record.losses) {
    std::snprintf(text, sizeof text, "  %s %.4f", name.c_str(), value);
    line << text;
  }
  std::snprintf(text, sizeof text, "  lr %.2e  %.1f img/s", record.lr, record.imagesPerSecond);
  line << text;
  return line.str();
}

}  // namespace wsss
