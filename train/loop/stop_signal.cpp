#include "train/loop/stop_signal.h"

#include <atomic>
#include <csignal>
#include <ctime>

namespace wsss {

namespace {

// A signal handler can only reach static storage; this is the one place it writes.
std::atomic<int> receivedSignal{0};
std::atomic<int64_t> receivedAtMs{0};
struct sigaction previousTerm;
struct sigaction previousInt;

int64_t monotonicMs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);  // async-signal-safe
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

void recordSignal(int signalNumber) {
  const int64_t now = monotonicMs();
  if (receivedSignal.load() == 0) {
    receivedSignal.store(signalNumber);
    receivedAtMs.store(now);
    return;
  }
  // A second signal a second or more after the first ends a stuck run at once; one that
  // follows within the second is the same request sent twice (torchrun's agent does that).
  if (now - receivedAtMs.load() >= 1000) {
    std::signal(signalNumber, SIG_DFL);
    std::raise(signalNumber);
  }
}

}  // namespace

StopSignal::StopSignal() {
  receivedSignal.store(0);
  struct sigaction action {};
  action.sa_handler = recordSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, &previousTerm);
  sigaction(SIGINT, &action, &previousInt);
}

StopSignal::~StopSignal() {
  sigaction(SIGTERM, &previousTerm, nullptr);
  sigaction(SIGINT, &previousInt, nullptr);
}

int StopSignal::received() const { return receivedSignal.load(); }

}  // namespace wsss
