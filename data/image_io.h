#pragma once
// Reading images from disk without trusting them. A download cut short still decodes in
// OpenCV (a truncated JPEG comes back half grey with only a warning), so the bytes are checked
// for a complete file before decoding, and every failure names the file.
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace wsss {

// The whole file. Throws wsss::Error naming the file when it is missing, unreadable or empty.
std::vector<uint8_t> readFileBytes(const std::string& path);

// Why the encoded bytes cannot be a complete image, or "" when they look whole: a JPEG must
// start with the SOI marker and end with EOI (trailing zero or whitespace bytes allowed), a
// PNG must carry the signature and end with the IEND chunk. Other formats are left to the
// decoder.
std::string findTruncation(const std::vector<uint8_t>& bytes);

// A colour image as CV_8UC3 in RGB order; grey and BGRA files are converted.
cv::Mat readRgbImage(const std::string& path);

// A grey image as CV_8UC1 (a colour file is converted to grey), e.g. a saliency map.
cv::Mat readGreyImage(const std::string& path);

}  // namespace wsss
