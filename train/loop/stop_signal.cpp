#include "train/loop/stop_signal.h"

#include <atomic>
#include <csignal>

namespace wsss {

namespace {

// A signal handler can only reach static storage; this is the one place it writes.
std::atomic<int> receivedSignal{0};
struct sigaction previousTerm;
struct sigaction previousInt;

void recordSignal(int signalNumber) {
  receivedSignal.store(signalNumber);
  // The next signal of this kind takes the default action, so a stuck run can still be ended.
  std::signal(signalNumber, SIG_DFL);
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
