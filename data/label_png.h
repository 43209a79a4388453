#pragma once
// Label masks as PNG files. VOC's SegmentationClass masks are palette (indexed) PNGs whose
// pixel values are the class indices; SegmentationClassAug masks are plain 8-bit grey PNGs.
// OpenCV expands palettes to colours, so palette files are read and written with libpng.
#include <array>
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace wsss {

using Palette = std::vector<std::array<uint8_t, 3>>;  // RGB per index

// The standard VOC colour map for indices 0..255 (index 255 = the void colour 224,224,192).
const Palette& vocPalette();

// Reads a label PNG (palette or grey, 8-bit) as CV_8UC1 class indices. An RGB PNG is mapped
// back through the VOC palette; a colour outside it is an error naming the file. Throws
// wsss::Error naming the file for a missing, truncated or undecodable file.
cv::Mat readLabelPng(const std::string& path);

// Writes CV_8UC1 class indices as a palette PNG (VOC colours by default), atomically: to
// `<path>.tmp`, then renamed. A palette shorter than 256 entries is padded with the VOC colours,
// so 255 still shows as void. Parent folders are created.
void writeLabelPng(const std::string& path, const cv::Mat& labels,
                   const Palette& palette = vocPalette());

}  // namespace wsss
