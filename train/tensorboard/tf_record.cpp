#include "train/tensorboard/tf_record.h"

#include <filesystem>

#include "core/error.h"
#include "train/tensorboard/crc32c.h"

namespace wsss {

namespace {

constexpr uint32_t kMaskDelta = 0xA282EAD8u;
constexpr uint64_t kHeaderSize = 8 + 4;  // length, its checksum
constexpr uint64_t kFooterSize = 4;      // the data's checksum

void appendLittleEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFu));
}

uint64_t readLittleEndian(const char* bytes, int count) {
  uint64_t value = 0;
  for (int i = count - 1; i >= 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

}  // namespace

uint32_t maskCrc32c(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

std::string frameTfRecord(std::string_view data) {
  std::string record;
  record.reserve(kHeaderSize + data.size() + kFooterSize);
  appendLittleEndian(record, data.size(), 8);
  appendLittleEndian(record, maskCrc32c(crc32c(record.data(), 8)), 4);
  record.append(data);
  appendLittleEndian(record, maskCrc32c(crc32c(data)), 4);
  return record;
}

TfRecordReader::TfRecordReader(const std::string& path)
    : path_(path), file_(path, std::ios::binary) {
  WSSS_CHECK(file_.is_open(), "cannot read ", path, ": the file does not exist or is not readable");
  std::error_code error;
  fileSize_ = std::filesystem::file_size(path, error);
  WSSS_CHECK(!error, "cannot read ", path, ": ", error.message());
}

bool TfRecordReader::readExactly(char* destination, uint64_t size) {
  if (size > fileSize_ - offset_) return false;
  file_.read(destination, static_cast<std::streamsize>(size));
  WSSS_CHECK(file_.gcount() == static_cast<std::streamsize>(size), "cannot read ", path_,
             " at byte ", offset_, ": the read stopped early");
  offset_ += size;
  return true;
}

std::optional<std::string> TfRecordReader::next() {
  if (endedInsideRecord_ || offset_ == fileSize_) return std::nullopt;
  const uint64_t start = offset_;
  char header[kHeaderSize];
  if (!readExactly(header, kHeaderSize)) {
    endedInsideRecord_ = true;
    return std::nullopt;
  }
  const auto storedLengthCrc = static_cast<uint32_t>(readLittleEndian(header + 8, 4));
  WSSS_CHECK(storedLengthCrc == maskCrc32c(crc32c(header, 8)), path_,
             " is corrupt: the length of the record at byte ", start,
             " fails its checksum; TensorBoard reads no further either, so move the file out of "
             "its folder (or truncate it to ",
             start, " bytes to keep the records before it)");
  const uint64_t length = readLittleEndian(header, 8);
  // The length is trustworthy now, so a length past the end means the file was cut short.
  if (length > fileSize_ - offset_ || kFooterSize > fileSize_ - offset_ - length) {
    endedInsideRecord_ = true;
    return std::nullopt;
  }
  std::string data(length, '\0');
  char footer[kFooterSize];
  readExactly(data.data(), length);
  readExactly(footer, kFooterSize);
  const auto storedDataCrc = static_cast<uint32_t>(readLittleEndian(footer, 4));
  WSSS_CHECK(storedDataCrc == maskCrc32c(crc32c(data)), path_,
             " is corrupt: the data of the record at byte ", start,
             " fails its checksum; TensorBoard reads no further either, so move the file out of "
             "its folder (or truncate it to ",
             start, " bytes to keep the records before it)");
  return data;
}

}  // namespace wsss
