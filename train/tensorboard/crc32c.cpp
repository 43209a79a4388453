#include "train/tensorboard/crc32c.h"

#include <array>

namespace wsss {

namespace {

// The polynomial 0x1EDC6F41 with its bits reversed: the CRC runs least significant bit first.
constexpr uint32_t kReversedPolynomial = 0x82F63B78u;

// crc of each byte value on its own, so the loop below handles a byte per table look-up
// instead of a bit per shift.
constexpr std::array<uint32_t, 256> byteTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1u) ? (crc >> 1) ^ kReversedPolynomial : crc >> 1;
    }
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kByteTable = byteTable();

}  // namespace

uint32_t crc32c(const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) {
    crc = kByteTable[(crc ^ bytes[i]) & 0xFFu] ^ (crc >> 8);
  }
  return crc ^ 0xFFFFFFFFu;
}

}  // namespace wsss
