#pragma once
// SIGTERM and SIGINT during training: the handler only records the signal; the loop notices it
// between steps, saves last.pt and exits with 128 + the signal number (143 / 130). A second
// signal of the same kind ends the process at once, the default way.
namespace wsss {

class StopSignal {
 public:
  StopSignal();   // installs the handlers
  ~StopSignal();  // puts the previous handlers back
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // The signal number received since construction, or 0.
  int received() const;
};

}  // namespace wsss
