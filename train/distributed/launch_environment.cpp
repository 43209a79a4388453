#include "train/distributed/launch_environment.h"

#include <cstdlib>
#include <vector>

#include "core/error.h"

namespace wsss {

namespace {

const char* kHint = "; start the job with torchrun (docs/distributed.md), or unset RANK and "
                    "WORLD_SIZE for a single-process run";

int64_t integerVariable(const EnvironmentReader& read, const std::string& name,
                        std::optional<int64_t> fallback) {
  const std::optional<std::string> text = read(name);
  if (!text) {
    WSSS_CHECK(fallback.has_value(), "the environment sets RANK or WORLD_SIZE but not ", name,
               kHint);
    return *fallback;
  }
  size_t used = 0;
  int64_t value = 0;
  try {
    value = std::stoll(*text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  WSSS_CHECK(used == text->size() && !text->empty(), "the environment variable ", name, "='",
             *text, "' is not a whole number", kHint);
  return value;
}

}  // namespace

EnvironmentReader processEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::optional<LaunchEnvironment> readLaunchEnvironment(const EnvironmentReader& read) {
  if (!read("RANK") && !read("WORLD_SIZE")) return std::nullopt;
  LaunchEnvironment launch;
  launch.worldSize = integerVariable(read, "WORLD_SIZE", std::nullopt);
  launch.rank = integerVariable(read, "RANK", std::nullopt);
  WSSS_CHECK(launch.worldSize >= 1, "WORLD_SIZE=", launch.worldSize, " must be at least 1",
             kHint);
  WSSS_CHECK(launch.rank >= 0 && launch.rank < launch.worldSize, "RANK=", launch.rank,
             " is outside [0, WORLD_SIZE=", launch.worldSize, ")", kHint);
  launch.localRank = integerVariable(read, "LOCAL_RANK", launch.rank);
  launch.localWorldSize = integerVariable(read, "LOCAL_WORLD_SIZE", launch.worldSize);
  WSSS_CHECK(launch.localRank >= 0 && launch.localRank < launch.localWorldSize, "LOCAL_RANK=",
             launch.localRank, " is outside [0, LOCAL_WORLD_SIZE=", launch.localWorldSize, ")",
             kHint);
  launch.masterAddress = read("MASTER_ADDR").value_or("");
  WSSS_CHECK(!launch.masterAddress.empty(), "the environment sets RANK and WORLD_SIZE but not "
             "MASTER_ADDR", kHint);
  launch.masterPort = integerVariable(read, "MASTER_PORT", std::nullopt);
  WSSS_CHECK(launch.masterPort >= 1 && launch.masterPort <= 65535, "MASTER_PORT=",
             launch.masterPort, " is not a port (1 to 65535)", kHint);
  // torchrun writes the Python spelling of a bool.
  launch.agentStore = read("TORCHELASTIC_USE_AGENT_STORE").value_or("") == "True";
  launch.restartCount = integerVariable(read, "TORCHELASTIC_RESTART_COUNT", 0);
  return launch;
}

}  // namespace wsss
