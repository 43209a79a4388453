#pragma once
// CRC-32C (Castagnoli polynomial), the checksum TFRecord files put around every record.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wsss {

uint32_t crc32c(const void* data, size_t size);
inline uint32_t crc32c(std::string_view bytes) { return crc32c(bytes.data(), bytes.size()); }

}  // namespace wsss
