#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace wsss {

namespace {

// Fault injection, for tests/faults/fault_corpus.py only; off unless the environment sets
//   WSSS_FAULT_WRITE=<fault>:<file name>[:<n>]
// It acts on the n-th (default: first) write in this process of a file whose last path
// component is <file name>, e.g. `enospc:iter_000003.pt` or `kill:last.pt:2`:
//   enospc  write(2) fails with ENOSPC once half the bytes reached the temporary, as on a full
//           disk (a tmpfs to fill needs root);
//   kill    the process sends itself SIGKILL once the temporary is written and flushed, just
//           before the rename, the one moment a crash could catch a checkpoint half-replaced.
enum class InjectedFault { None, NoSpace, Kill };

InjectedFault injectedFault(const std::string& path) {
  const char* spec = std::getenv("WSSS_FAULT_WRITE");
  if (spec == nullptr || *spec == '\0') return InjectedFault::None;
  const std::string text(spec);
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return InjectedFault::None;
  const std::string fault = text.substr(0, colon);
  std::string name = text.substr(colon + 1);
  long nth = 1;
  if (const size_t second = name.find(':'); second != std::string::npos) {
    nth = std::strtol(name.c_str() + second + 1, nullptr, 10);
    name.resize(second);
  }
  if (std::filesystem::path(path).filename().string() != name) return InjectedFault::None;
  static std::atomic<long> matching{0};
  if (++matching != nth) return InjectedFault::None;
  if (fault == "enospc") return InjectedFault::NoSpace;
  if (fault == "kill") return InjectedFault::Kill;
  return InjectedFault::None;
}

}  // namespace

void writeFileAtomically(const std::string& path, const std::string& contents) {
  const std::filesystem::path target(path);
  if (target.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(target.parent_path(), error);
    WSSS_CHECK(!error, "cannot create folder ", target.parent_path().string(), " to write ",
               target.filename().string(), ": ", error.message(),
               " (choose a location that can be written)");
  }
  const InjectedFault fault = injectedFault(path);
  const std::string temporary = path + ".tmp";
  const int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  WSSS_CHECK(descriptor >= 0, "cannot write ", temporary, ": ", std::strerror(errno),
             " (choose a location that can be written)");
  // An injected full disk takes half the bytes, then refuses the rest.
  const size_t room = fault == InjectedFault::NoSpace ? contents.size() / 2 : contents.size();
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t count = -1;
    if (written < room) {
      count = ::write(descriptor, contents.data() + written, room - written);
    } else {
      errno = ENOSPC;
    }
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      const std::string reason = std::strerror(errno);
      ::close(descriptor);
      ::unlink(temporary.c_str());
      WSSS_FAIL("cannot write ", temporary, ": ", reason, " (is the disk full? ", path,
                " itself is unchanged; free space and run again)");
    }
    written += static_cast<size_t>(count);
  }
  const bool synced = ::fsync(descriptor) == 0;
  const bool closed = ::close(descriptor) == 0;
  if (fault == InjectedFault::Kill) ::raise(SIGKILL);
  if (!synced || !closed || ::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temporary.c_str());
    WSSS_FAIL("cannot write ", path, ": ", reason, " (", path,
              " itself is unchanged; make sure it can be replaced and run again)");
  }
}

}  // namespace wsss
