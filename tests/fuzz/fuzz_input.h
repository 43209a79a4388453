#pragma once
// What every fuzz target shares: where an input becomes a file (the readers under test take
// paths, as wsss does), and the one rule they all hold: bad bytes end in wsss::Error, whose
// message names the file. Anything else escaping a reader (another exception type, a crash, a
// sanitizer report, a leak) is a finding; libFuzzer stops on the abort and keeps the input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "core/error.h"

namespace wsss::fuzz {

// A folder of this process's own under the temp folder (fuzz jobs run side by side), made once.
inline const std::filesystem::path& scratchFolder() {
  static const std::filesystem::path folder = [] {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("wsss_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  return folder;
}

// Writes the input to `path` (truncating), as a user's file would be on disk.
inline void writeInput(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

// Runs one read. A wsss::Error must name `culprit` (the file); any other exception aborts with
// its text, which libFuzzer reports as a crash with the input saved.
template <class Read>
void expectCleanFailureOrSuccess(const std::string& culprit, Read&& read) {
  try {
    read();
  } catch (const wsss::Error& error) {
    const std::string message = error.what();
    if (message.find(culprit) == std::string::npos) {
      std::fprintf(stderr, "wsss::Error does not name %s: %s\n", culprit.c_str(), message.c_str());
      std::abort();
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "a reader let a non-wsss exception out: %s\n", error.what());
    std::abort();
  }
}

}  // namespace wsss::fuzz
