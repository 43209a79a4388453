#include "core/logging.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <mutex>
#include <string_view>

namespace wsss {

namespace {

LogLevel initialLevel() {
  const char* value = std::getenv("WSSS_LOG_LEVEL");
  if (value && std::string_view(value) == "debug") return LogLevel::Debug;
  if (value && std::string_view(value) == "warning") return LogLevel::Warning;
  if (value && std::string_view(value) == "error") return LogLevel::Error;
  return LogLevel::Info;
}

std::atomic<LogLevel>& threshold() {
  static std::atomic<LogLevel> level{initialLevel()};
  return level;
}

const char* tag(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warning:
      return "warning";
    case LogLevel::Error:
      return "error";
  }
  return "";
}

}  // namespace

void setLogLevel(LogLevel level) { threshold().store(level); }

void logMessage(LogLevel level, const std::string& message) {
  if (level < threshold().load()) return;
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &local);
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  std::cerr << "[" << stamp << " " << tag(level) << "] " << message << std::endl;
}

}  // namespace wsss
