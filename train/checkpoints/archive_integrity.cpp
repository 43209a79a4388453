#include "train/checkpoints/archive_integrity.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <vector>

#include "core/error.h"

namespace wsss {

namespace {

// Record signatures and sizes of the zip format (PKWARE's APPNOTE), little-endian.
constexpr uint32_t kEndOfDirectory = 0x06054b50;      // 22 bytes + comment
constexpr uint32_t kZip64EndOfDirectory = 0x06064b50;  // 56 bytes + extensible data
constexpr uint32_t kZip64Locator = 0x07064b50;         // 20 bytes
constexpr uint32_t kDirectoryEntry = 0x02014b50;       // 46 bytes + name, extra, comment
constexpr uint32_t kLocalHeader = 0x04034b50;          // 30 bytes + name, extra
constexpr size_t kEndOfDirectorySize = 22;
constexpr size_t kMaxCommentSize = 0xffff;

uint64_t readLittle(const uint8_t* bytes, int count) {
  uint64_t value = 0;
  for (int i = count - 1; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

class ArchiveFile {
 public:
  explicit ArchiveFile(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    WSSS_CHECK(in_, "checkpoint ", path, " cannot be opened; check its permissions");
    in_.seekg(0, std::ios::end);
    size_ = static_cast<uint64_t>(in_.tellg());
  }

  uint64_t size() const { return size_; }

  // `count` bytes at `offset`; the caller has checked they lie inside the file.
  std::vector<uint8_t> read(uint64_t offset, uint64_t count) {
    std::vector<uint8_t> bytes(count);
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(count));
    WSSS_CHECK(in_, "checkpoint ", path_, " could not be read at byte ", offset,
               "; check the disk");
    return bytes;
  }

  // CRC-32 of `count` bytes at `offset`, read in chunks (checkpoints reach gigabytes).
  uint32_t crc32(uint64_t offset, uint64_t count) {
    std::vector<char> chunk(1 << 20);
    uLong crc = ::crc32(0L, Z_NULL, 0);
    in_.seekg(static_cast<std::streamoff>(offset));
    while (count > 0) {
      const uint64_t take = std::min<uint64_t>(count, chunk.size());
      in_.read(chunk.data(), static_cast<std::streamsize>(take));
      WSSS_CHECK(in_, "checkpoint ", path_, " could not be read at byte ", offset,
                 "; check the disk");
      crc = ::crc32(crc, reinterpret_cast<const Bytef*>(chunk.data()), static_cast<uInt>(take));
      count -= take;
    }
    return static_cast<uint32_t>(crc);
  }

 private:
  std::string path_;
  std::ifstream in_;
  uint64_t size_ = 0;
};

struct Directory {
  uint64_t entries = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

[[noreturn]] void damaged(const std::string& path, const std::string& what) {
  WSSS_FAIL("checkpoint ", path, " cannot be read (", what,
            "): the file is damaged (cut short or overwritten) or not a wsss checkpoint; name "
            "an intact one (a run keeps last.pt, best.pt and iter_*.pt in "
            "<work-dir>/checkpoints)");
}

// The central directory's place, from the end-of-archive record (and its zip64 form).
Directory findDirectory(ArchiveFile& file, const std::string& path) {
  if (file.size() < kEndOfDirectorySize) damaged(path, "too short to be an archive");
  const uint64_t tailSize = std::min<uint64_t>(file.size(), kEndOfDirectorySize + kMaxCommentSize);
  const std::vector<uint8_t> tail = file.read(file.size() - tailSize, tailSize);
  // The record is the last signature whose comment length reaches exactly the file's end.
  for (size_t at = tail.size() - kEndOfDirectorySize + 1; at-- > 0;) {
    const uint8_t* record = tail.data() + at;
    if (readLittle(record, 4) != kEndOfDirectory) continue;
    if (at + kEndOfDirectorySize + readLittle(record + 20, 2) != tail.size()) continue;
    Directory directory{readLittle(record + 10, 2), readLittle(record + 16, 4),
                        readLittle(record + 12, 4)};
    const uint64_t recordOffset = file.size() - tailSize + at;
    const bool zip64 = directory.entries == 0xffff || directory.offset == 0xffffffff ||
                       directory.size == 0xffffffff;
    if (zip64) {
      if (recordOffset < 20) damaged(path, "zip64 locator missing");
      const std::vector<uint8_t> locator = file.read(recordOffset - 20, 20);
      if (readLittle(locator.data(), 4) != kZip64Locator) damaged(path, "zip64 locator missing");
      const uint64_t end64 = readLittle(locator.data() + 8, 8);
      if (end64 > recordOffset || recordOffset - end64 < 56) damaged(path, "zip64 record outside the file");
      const std::vector<uint8_t> record64 = file.read(end64, 56);
      if (readLittle(record64.data(), 4) != kZip64EndOfDirectory) damaged(path, "zip64 record missing");
      directory = {readLittle(record64.data() + 32, 8), readLittle(record64.data() + 48, 8),
                   readLittle(record64.data() + 40, 8)};
    }
    if (directory.offset > file.size() || directory.size > file.size() - directory.offset) {
      damaged(path, "its directory lies outside the file");
    }
    return directory;
  }
  damaged(path, "no end-of-archive record");
}

// An entry's sizes and header offset, with the zip64 extra field's values where the 32-bit ones
// say 0xffffffff.
struct Entry {
  std::string name;
  uint16_t method = 0;
  uint32_t crc = 0;
  uint64_t compressedSize = 0;
  uint64_t size = 0;
  uint64_t headerOffset = 0;
};

void readZip64Extra(const uint8_t* extra, size_t length, Entry& entry) {
  for (size_t at = 0; at + 4 <= length;) {
    const uint64_t id = readLittle(extra + at, 2);
    const size_t fieldSize = readLittle(extra + at + 2, 2);
    const uint8_t* field = extra + at + 4;
    if (at + 4 + fieldSize > length) return;
    if (id == 0x0001) {
      size_t used = 0;
      auto take = [&](uint64_t& value) {
        if (value == 0xffffffff && used + 8 <= fieldSize) {
          value = readLittle(field + used, 8);
          used += 8;
        }
      };
      take(entry.size);
      take(entry.compressedSize);
      take(entry.headerOffset);
      return;
    }
    at += 4 + fieldSize;
  }
}

}  // namespace

void checkArchiveIntegrity(const std::string& path) {
  ArchiveFile file(path);
  const Directory directory = findDirectory(file, path);
  const std::vector<uint8_t> listing = file.read(directory.offset, directory.size);
  size_t at = 0;
  for (uint64_t index = 0; index < directory.entries; ++index) {
    if (at + 46 > listing.size() || readLittle(listing.data() + at, 4) != kDirectoryEntry) {
      damaged(path, "its directory ends after " + std::to_string(index) + " of " +
                        std::to_string(directory.entries) + " entries");
    }
    const uint8_t* record = listing.data() + at;
    Entry entry;
    entry.method = static_cast<uint16_t>(readLittle(record + 10, 2));
    entry.crc = static_cast<uint32_t>(readLittle(record + 16, 4));
    entry.compressedSize = readLittle(record + 20, 4);
    entry.size = readLittle(record + 24, 4);
    const size_t nameLength = readLittle(record + 28, 2);
    const size_t extraLength = readLittle(record + 30, 2);
    const size_t commentLength = readLittle(record + 32, 2);
    entry.headerOffset = readLittle(record + 42, 4);
    if (at + 46 + nameLength + extraLength + commentLength > listing.size()) {
      damaged(path, "its directory is cut short");
    }
    entry.name.assign(reinterpret_cast<const char*>(record + 46), nameLength);
    readZip64Extra(record + 46 + nameLength, extraLength, entry);
    at += 46 + nameLength + extraLength + commentLength;

    // The local header repeats the name and has its own extra field; the data follows it.
    const std::string where = "entry '" + entry.name + "'";
    if (entry.headerOffset > file.size() || file.size() - entry.headerOffset < 30) {
      damaged(path, where + " lies outside the file");
    }
    const std::vector<uint8_t> header = file.read(entry.headerOffset, 30);
    if (readLittle(header.data(), 4) != kLocalHeader) damaged(path, where + " has no header");
    const uint64_t dataOffset =
        entry.headerOffset + 30 + readLittle(header.data() + 26, 2) + readLittle(header.data() + 28, 2);
    if (dataOffset > file.size() || entry.compressedSize > file.size() - dataOffset) {
      damaged(path, where + " runs past the end of the file");
    }
    // Stored entries (the tensors and data.pkl, all but a few hundred bytes) are checked byte
    // for byte; the few deflated ones (TorchScript's source) are left to LibTorch's reader.
    if (entry.method == 0) {
      if (entry.compressedSize != entry.size) damaged(path, where + " has two sizes");
      if (file.crc32(dataOffset, entry.size) != entry.crc) {
        damaged(path, where + " does not match its CRC-32");
      }
    }
  }
}

}  // namespace wsss
