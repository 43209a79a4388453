#pragma once
// A checkpoint is a zip archive (LibTorch's format: every entry stored, a few deflated). LibTorch
// reads an entry without checking its CRC-32 and trusts the sizes and lengths inside it, so one
// flipped byte can make it allocate gigabytes or parse garbage. Checking the archive's structure
// and every entry's CRC first turns any damage into one error naming the file and the entry.
#include <string>

namespace wsss {

// Throws wsss::Error naming `path` (and the entry) when the file is not a whole zip archive:
// no end-of-archive record (truncated), a directory or an entry outside the file, or an entry
// whose bytes do not match its CRC-32. Reads the file once, in chunks.
void checkArchiveIntegrity(const std::string& path);

}  // namespace wsss
