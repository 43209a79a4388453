#pragma once
// What torchrun tells each worker it starts, in environment variables: who the worker is
// (RANK, LOCAL_RANK), how many there are (WORLD_SIZE, LOCAL_WORLD_SIZE), where the rendezvous
// store listens (MASTER_ADDR, MASTER_PORT), whether torchrun's agent already hosts that store
// (TORCHELASTIC_USE_AGENT_STORE) and how many times the job was restarted
// (TORCHELASTIC_RESTART_COUNT).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace wsss {

struct LaunchEnvironment {
  int64_t rank = 0;
  int64_t localRank = 0;
  int64_t worldSize = 1;
  int64_t localWorldSize = 1;
  std::string masterAddress;
  int64_t masterPort = 0;
  bool agentStore = false;    // the agent hosts the store: every worker joins it as a client
  int64_t restartCount = 0;   // keys of one attempt never meet another's
};

// Reads a variable; nothing when it is unset.
using EnvironmentReader = std::function<std::optional<std::string>(const std::string& name)>;
EnvironmentReader processEnvironment();

// The launch, or nothing when RANK and WORLD_SIZE are both unset (a plain single-process run).
// Throws wsss::Error naming the variable when one is set without the others it needs, is not
// a number, or is out of range (RANK outside [0, WORLD_SIZE), a port outside [1, 65535]).
std::optional<LaunchEnvironment> readLaunchEnvironment(const EnvironmentReader& read);

}  // namespace wsss
