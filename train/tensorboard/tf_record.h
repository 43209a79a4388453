#pragma once
// TFRecord framing, the container of TensorBoard's event files. Each record is
//   uint64 length | uint32 masked CRC-32C of the length | data | uint32 masked CRC-32C of the data,
// every number little-endian, records back to back with nothing between them.
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

namespace wsss {

// TFRecord stores each CRC rotated and offset: a CRC taken over bytes that themselves end in
// their CRC is a constant, and the mask keeps the stored checksums from being one.
uint32_t maskCrc32c(uint32_t crc);

// `data` framed as one record, ready to append to a file.
std::string frameTfRecord(std::string_view data);

// Reads the records of one file in order, checking both checksums of each.
class TfRecordReader {
 public:
  explicit TfRecordReader(const std::string& path);  // throws when the file cannot be opened

  // The next record's data. nullopt at the end of the file, and at a last record cut short
  // (what a run killed while writing leaves), which endedInsideRecord() then reports. A
  // checksum that does not match throws wsss::Error naming the file and the byte offset.
  std::optional<std::string> next();

  bool endedInsideRecord() const { return endedInsideRecord_; }
  const std::string& path() const { return path_; }

 private:
  // Reads `size` bytes at the current offset; false when the file ends first.
  bool readExactly(char* destination, uint64_t size);

  std::string path_;
  std::ifstream file_;
  uint64_t fileSize_ = 0;
  uint64_t offset_ = 0;
  bool endedInsideRecord_ = false;
};

}  // namespace wsss
