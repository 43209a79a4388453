#include "train/loop/progress_log.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json_format.h"

namespace wsss {

namespace {

// The "iteration" of a metrics line, or -1 when it has none. A line that is not JSON (cut
// short by a kill, or written by an older wsss with NaN tokens) is searched for the key as
// text, so a torn line of a step after the checkpoint is dropped too.
int64_t lineIteration(const std::string& line) {
  const auto record = nlohmann::ordered_json::parse(line, nullptr, false);
  if (!record.is_discarded()) {
    if (!record.is_object()) return -1;
    const auto iteration = record.find("iteration");
    return iteration != record.end() && iteration->is_number_integer()
               ? iteration->get<int64_t>()
               : -1;
  }
  const std::string key = "\"iteration\":";
  const size_t at = line.find(key);
  if (at == std::string::npos) return -1;
  return std::strtoll(line.c_str() + at + key.size(), nullptr, 10);  // skips the spaces
}

// One line of metrics.jsonl, flushed. A full disk would otherwise lose the lines silently
// while training went on.
void appendLine(std::ofstream& metrics, const std::string& path, const std::string& text) {
  metrics << text << "\n";
  metrics.flush();
  WSSS_CHECK(metrics.good(), "cannot append to ", path,
             " (is the disk full?); the checkpoints written so far are intact: free space and "
             "continue with --resume");
}

void dropStepsAfter(const std::string& path, int64_t iteration) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream lines(text);
  std::string kept;
  std::string line;
  bool dropped = false;
  while (std::getline(lines, line)) {
    // A last line without its newline was cut short while it was appended (a kill, a full
    // disk); kept, it would have the next record joined onto it.
    const bool torn = lines.eof() && text.back() != '\n';
    if (torn || lineIteration(line) > iteration) {
      dropped = true;
      continue;
    }
    kept += line + "\n";
  }
  if (dropped) writeFileAtomically(path, kept);
}

// A step's value: 9 significant digits tell a float32 exactly (and are the digits metrics.jsonl
// has always had, which tests/golden/ compares).
double stepNumber(double value) { return roundedToSignificantDigits(value, 9); }

// `value` with every number rounded to 6 significant digits, the evaluation's precision.
nlohmann::ordered_json withEvaluationDigits(nlohmann::ordered_json value) {
  if (value.is_number_float()) return roundedToSignificantDigits(value.get<double>(), 6);
  for (auto& item : value) {
    if (item.is_structured() || item.is_number_float()) item = withEvaluationDigits(item);
  }
  return value;
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
  nlohmann::ordered_json losses = nlohmann::ordered_json::object();
  for (const auto& [name, value] : record.losses) losses[name] = stepNumber(value);
  nlohmann::ordered_json line = {{"iteration", record.iteration},
                                 {"loss", losses},
                                 {"lr", stepNumber(record.lr)},
                                 {"images_per_s", stepNumber(record.imagesPerSecond)}};
  if (record.gradientSyncSeconds >= 0) {
    line["gradient_sync_s"] = stepNumber(record.gradientSyncSeconds);
  }
  appendLine(metrics_, metricsPath_, jsonLineText(line));
}

void ProgressLog::recordEvaluation(int64_t iteration,
                                   const nlohmann::ordered_json& evaluation) {
  const nlohmann::ordered_json line = {{"iteration", iteration},
                                       {"eval", withEvaluationDigits(evaluation)}};
  appendLine(metrics_, metricsPath_, jsonLineText(line));
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
