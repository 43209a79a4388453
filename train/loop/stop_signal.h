#pragma once
// SIGTERM and SIGINT during training: the handler only records the signal; the loop notices it
// between steps, saves last.pt and exits with 128 + the signal number (143 / 130). A second
// signal a second or more after the first ends the process at once, the default way; one
// within the second is taken as the same request (torchrun's agent sends SIGTERM twice).
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
