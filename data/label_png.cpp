#include "data/label_png.h"

#include <png.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include "core/error.h"
#include "data/image_io.h"

namespace wsss {

namespace {

namespace fs = std::filesystem;

// Large enough for any photograph, small enough that a corrupt header cannot ask for gigabytes.
constexpr uint32_t kMaxSide = 1u << 15;
constexpr uint64_t kMaxPixels = 1ull << 28;

// libpng reports errors through a callback that must not return; it jumps back to the
// setjmp point of the decoding function, which then frees libpng's state and reports the
// message. Only plain C data lives in the frames that the jump crosses.
struct PngErrorSink {
  char message[256] = {0};
};

void onPngError(png_structp png, png_const_charp message) {
  auto* sink = static_cast<PngErrorSink*>(png_get_error_ptr(png));
  std::snprintf(sink->message, sizeof(sink->message), "%s", message);
  png_longjmp(png, 1);
}

// Warnings (an odd colour profile, a bad ancillary CRC) do not affect the indices.
void onPngWarning(png_structp, png_const_charp) {}

struct MemoryReader {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t offset = 0;
};

void readFromMemory(png_structp png, png_bytep out, png_size_t length) {
  auto* reader = static_cast<MemoryReader*>(png_get_io_ptr(png));
  if (reader->size - reader->offset < length) png_error(png, "unexpected end of the PNG data");
  std::memcpy(out, reader->data + reader->offset, length);
  reader->offset += length;
}

struct DecodedPng {
  uint32_t width = 0;
  uint32_t height = 0;
  int channels = 0;  // 1: palette indices or grey values; 3: RGB
  std::vector<uint8_t> pixels;
  std::vector<png_bytep> rows;
};

// Decodes 8-bit samples without expanding a palette. Returns "" or libpng's error message.
std::string decodePng(const std::vector<uint8_t>& bytes, DecodedPng& out) {
  PngErrorSink sink;
  MemoryReader reader{bytes.data(), bytes.size(), 0};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &sink, onPngError, onPngWarning);
  if (!png) return "libpng could not allocate a reader";
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return "libpng could not allocate a reader";
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return sink.message;
  }
  png_set_read_fn(png, &reader, readFromMemory);
  png_set_user_limits(png, kMaxSide, kMaxSide);
  png_read_info(png, info);
  const uint32_t width = png_get_image_width(png, info);
  const uint32_t height = png_get_image_height(png, info);
  const int bitDepth = png_get_bit_depth(png, info);
  const int colorType = png_get_color_type(png, info);
  if (static_cast<uint64_t>(width) * height > kMaxPixels) png_error(png, "image is too large");
  switch (colorType) {
    case PNG_COLOR_TYPE_PALETTE:
    case PNG_COLOR_TYPE_GRAY:
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      // Scaling 16-bit values down would change the class indices.
      if (bitDepth == 16) png_error(png, "16-bit grey label PNGs are not supported");
      // One byte per pixel, values kept as they are (not stretched to 0..255).
      if (bitDepth < 8) png_set_packing(png);
      if (colorType == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_strip_alpha(png);
      out.channels = 1;
      break;
    case PNG_COLOR_TYPE_RGB:
    case PNG_COLOR_TYPE_RGB_ALPHA:
      if (bitDepth == 16) png_set_strip_16(png);
      if (colorType == PNG_COLOR_TYPE_RGB_ALPHA) png_set_strip_alpha(png);
      out.channels = 3;
      break;
    default:
      png_error(png, "unknown PNG colour type");
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != static_cast<size_t>(width) * out.channels) {
    png_error(png, "unexpected row layout");
  }
  out.width = width;
  out.height = height;
  out.pixels.resize(static_cast<size_t>(width) * height * out.channels);
  out.rows.resize(height);
  for (uint32_t y = 0; y < height; ++y) {
    out.rows[y] = out.pixels.data() + static_cast<size_t>(y) * width * out.channels;
  }
  png_read_image(png, out.rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return "";
}

// Writes the indices as an 8-bit palette PNG to an open file. Returns "" or the error.
std::string encodePng(std::FILE* file, const cv::Mat& labels, const png_color* colours,
                      std::vector<png_bytep>& rows) {
  PngErrorSink sink;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, onPngError, onPngWarning);
  if (!png) return "libpng could not allocate a writer";
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    return "libpng could not allocate a writer";
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return sink.message;
  }
  png_init_io(png, file);
  png_set_IHDR(png, info, static_cast<uint32_t>(labels.cols), static_cast<uint32_t>(labels.rows), 8,
               PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_set_PLTE(png, info, colours, 256);
  // Filters rarely help palette images and cost time.
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
  png_write_info(png, info);
  png_write_image(png, rows.data());
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return "";
}

cv::Mat mapColoursToIndices(const DecodedPng& decoded, const std::string& path) {
  static const std::unordered_map<uint32_t, uint8_t> indexOfColour = [] {
    std::unordered_map<uint32_t, uint8_t> table;
    const Palette& palette = vocPalette();
    for (size_t index = 0; index < palette.size(); ++index) {
      const auto& c = palette[index];
      table.emplace((uint32_t{c[0]} << 16) | (uint32_t{c[1]} << 8) | c[2],
                    static_cast<uint8_t>(index));
    }
    return table;
  }();
  cv::Mat indices(static_cast<int>(decoded.height), static_cast<int>(decoded.width), CV_8UC1);
  for (int y = 0; y < indices.rows; ++y) {
    const uint8_t* rgb = decoded.rows[y];
    uint8_t* out = indices.ptr<uint8_t>(y);
    for (int x = 0; x < indices.cols; ++x, rgb += 3) {
      const uint32_t key = (uint32_t{rgb[0]} << 16) | (uint32_t{rgb[1]} << 8) | rgb[2];
      const auto found = indexOfColour.find(key);
      WSSS_CHECK(found != indexOfColour.end(), "label PNG ", path, " has colour (", int{rgb[0]},
                 ", ", int{rgb[1]}, ", ", int{rgb[2]}, ") at pixel (x ", x, ", y ", y,
                 ") that is not in the VOC palette (save masks as palette or 8-bit grey index "
                 "PNGs)");
      out[x] = found->second;
    }
  }
  return indices;
}

}  // namespace

const Palette& vocPalette() {
  static const Palette palette = [] {
    Palette colours(256);
    for (int index = 0; index < 256; ++index) {
      int code = index;
      std::array<uint8_t, 3> colour{0, 0, 0};
      for (int bit = 7; bit >= 0; --bit, code >>= 3) {
        for (int channel = 0; channel < 3; ++channel) {
          colour[channel] |= static_cast<uint8_t>(((code >> channel) & 1) << bit);
        }
      }
      colours[index] = colour;
    }
    return colours;
  }();
  return palette;
}

cv::Mat readLabelPng(const std::string& path) {
  const std::vector<uint8_t> bytes = readFileBytes(path);
  WSSS_CHECK(bytes.size() >= 8 && png_sig_cmp(bytes.data(), 0, 8) == 0, "label file ", path,
             " is not a PNG (masks must be palette or 8-bit grey index PNGs)");
  const std::string truncation = findTruncation(bytes);
  WSSS_CHECK(truncation.empty(), "label PNG ", path, " is truncated or corrupt: ", truncation,
             " (replace or regenerate it)");
  DecodedPng decoded;
  const std::string error = decodePng(bytes, decoded);
  WSSS_CHECK(error.empty(), "label PNG ", path, " cannot be decoded: ", error,
             " (replace or regenerate it)");
  if (decoded.channels == 3) return mapColoursToIndices(decoded, path);
  cv::Mat indices(static_cast<int>(decoded.height), static_cast<int>(decoded.width), CV_8UC1,
                  decoded.pixels.data());
  return indices.clone();
}

void writeLabelPng(const std::string& path, const cv::Mat& labels, const Palette& palette) {
  WSSS_CHECK(!labels.empty() && labels.type() == CV_8UC1, "writeLabelPng(", path,
             "): expected a non-empty CV_8UC1 index image, got type ", labels.type(), " and size ",
             labels.cols, "x", labels.rows);
  WSSS_CHECK(!palette.empty() && palette.size() <= 256, "writeLabelPng(", path,
             "): a palette has 1..256 colours, got ", palette.size());
  // Indices beyond the given palette keep their VOC colours, so 255 still shows as void.
  png_color colours[256];
  for (size_t index = 0; index < 256; ++index) {
    const auto& c = index < palette.size() ? palette[index] : vocPalette()[index];
    colours[index] = png_color{c[0], c[1], c[2]};
  }
  std::vector<png_bytep> rows(static_cast<size_t>(labels.rows));
  for (int y = 0; y < labels.rows; ++y) rows[y] = const_cast<png_bytep>(labels.ptr<uint8_t>(y));

  const fs::path target(path);
  std::error_code ignored;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ignored);
  const std::string temporary = path + ".tmp";
  std::FILE* file = std::fopen(temporary.c_str(), "wb");
  WSSS_CHECK(file, "cannot create ", temporary, ": ", std::strerror(errno),
             " (check that the folder is writable)");
  const std::string error = encodePng(file, labels, colours, rows);
  const bool flushed = std::fflush(file) == 0 && !std::ferror(file);
  const bool closed = std::fclose(file) == 0;
  if (!error.empty() || !flushed || !closed) {
    fs::remove(temporary, ignored);
    WSSS_FAIL("cannot write label PNG ", path, ": ",
              error.empty() ? "write failed (disk full?)" : error);
  }
  std::error_code renameError;
  fs::rename(temporary, target, renameError);
  if (renameError) {
    fs::remove(temporary, ignored);
    WSSS_FAIL("cannot rename ", temporary, " to ", path, ": ", renameError.message());
  }
}

}  // namespace wsss
