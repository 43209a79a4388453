#pragma once
// Log lines go to stderr with a level tag, so stdout stays clean for command output
// (`wsss config` prints YAML there). Safe to call from several threads.
#include <string>

namespace wsss {

enum class LogLevel { Debug, Info, Warning, Error };

void logMessage(LogLevel level, const std::string& message);
inline void logInfo(const std::string& message) { logMessage(LogLevel::Info, message); }
inline void logWarning(const std::string& message) { logMessage(LogLevel::Warning, message); }
inline void logError(const std::string& message) { logMessage(LogLevel::Error, message); }

// Messages below this level are dropped (default Info; WSSS_LOG_LEVEL=debug shows all).
void setLogLevel(LogLevel level);

}  // namespace wsss
