#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace wsss {

void writeFileAtomically(const std::string& path, const std::string& contents) {
  const std::filesystem::path target(path);
  if (target.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(target.parent_path(), error);
    WSSS_CHECK(!error, "cannot create folder ", target.parent_path().string(), ": ",
               error.message());
  }
  const std::string temporary = path + ".tmp";
  const int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  WSSS_CHECK(descriptor >= 0, "cannot write ", temporary, ": ", std::strerror(errno));
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t count = ::write(descriptor, contents.data() + written, contents.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      const std::string reason = std::strerror(errno);
      ::close(descriptor);
      ::unlink(temporary.c_str());
      WSSS_FAIL("cannot write ", temporary, ": ", reason, " (is the disk full?)");
    }
    written += static_cast<size_t>(count);
  }
  const bool synced = ::fsync(descriptor) == 0;
  const bool closed = ::close(descriptor) == 0;
  if (!synced || !closed || ::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temporary.c_str());
    WSSS_FAIL("cannot write ", path, ": ", reason);
  }
}

}  // namespace wsss
