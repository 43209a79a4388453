#include "data/image_io.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace wsss {

namespace {

namespace fs = std::filesystem;

constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

bool isPadding(uint8_t byte) {
  return byte == 0 || byte == ' ' || byte == '\n' || byte == '\r' || byte == '\t';
}

// Length of the data once trailing padding bytes, which some tools append, are dropped.
size_t lengthWithoutPadding(const std::vector<uint8_t>& bytes) {
  size_t length = bytes.size();
  while (length > 0 && isPadding(bytes[length - 1])) --length;
  return length;
}

bool looksLikeJpeg(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 2 && bytes[0] == 0xff && bytes[1] == 0xd8;
}

bool looksLikePng(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= sizeof(kPngSignature) &&
         std::memcmp(bytes.data(), kPngSignature, sizeof(kPngSignature)) == 0;
}

cv::Mat decode(const std::string& path, int flags, const char* hint) {
  const std::vector<uint8_t> bytes = readFileBytes(path);
  const std::string truncation = findTruncation(bytes);
  WSSS_CHECK(truncation.empty(), "image file ", path, " is truncated or corrupt: ", truncation,
             " (", hint, ")");
  cv::Mat image;
  try {
    image = cv::imdecode(bytes, flags);
  } catch (const cv::Exception& error) {
    WSSS_FAIL("image file ", path, " cannot be decoded: ", error.what(), " (", hint, ")");
  }
  WSSS_CHECK(!image.empty(), "image file ", path,
             " cannot be decoded (not a JPEG/PNG/BMP image OpenCV can read; ", hint, ")");
  return image;
}

constexpr const char* kReplaceHint = "replace it with an intact copy from the dataset archive";

}  // namespace

std::vector<uint8_t> readFileBytes(const std::string& path) {
  std::error_code error;
  WSSS_CHECK(fs::exists(path, error), "file ", path,
             " does not exist (check data.root and the dataset layout)");
  WSSS_CHECK(!fs::is_directory(path, error), "file ", path, " is a folder, expected a file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  WSSS_CHECK(in.good(), "file ", path, " cannot be opened (check its permissions)");
  const std::streamoff size = in.tellg();
  WSSS_CHECK(size > 0, "file ", path, " is empty (", kReplaceHint, ")");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), size);
  WSSS_CHECK(in.gcount() == size, "file ", path, " could not be read completely");
  return bytes;
}

std::string findTruncation(const std::vector<uint8_t>& bytes) {
  if (bytes.empty()) return "the file is empty";
  if (looksLikeJpeg(bytes)) {
    const size_t length = lengthWithoutPadding(bytes);
    if (length < 4 || bytes[length - 2] != 0xff || bytes[length - 1] != 0xd9) {
      return "JPEG data does not end with the EOI marker FFD9";
    }
    return "";
  }
  if (looksLikePng(bytes)) {
    static constexpr uint8_t kIend[8] = {0, 0, 0, 0, 'I', 'E', 'N', 'D'};
    const size_t length = lengthWithoutPadding(bytes);
    // The IEND chunk: zero length, the type, then its fixed CRC (AE 42 60 82).
    if (length < sizeof(kPngSignature) + 12 ||
        std::memcmp(bytes.data() + length - 12, kIend, sizeof(kIend)) != 0) {
      return "PNG data does not end with the IEND chunk";
    }
    return "";
  }
  if (bytes.size() >= 2 && bytes[0] == 0xff) return "JPEG data does not start with FFD8";
  if (bytes.size() >= 4 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G') {
    return "the PNG signature is damaged";
  }
  return "";
}

cv::Mat readRgbImage(const std::string& path) {
  // IMREAD_COLOR turns grey, grey+alpha, BGRA and 16-bit files into 8-bit BGR. EXIF rotation
  // is ignored: masks and saliency maps are aligned with the stored pixels, not the view.
  cv::Mat bgr = decode(path, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION, kReplaceHint);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

cv::Mat readGreyImage(const std::string& path) {
  return decode(path, cv::IMREAD_GRAYSCALE | cv::IMREAD_IGNORE_ORIENTATION,
                "regenerate or replace it");
}

}  // namespace wsss
