// libFuzzer target: a label mask PNG (palette, grey or RGB in the VOC colours), read as the
// loader, `wsss eval` and `wsss data-check` read SegmentationClass files.
#include <cstddef>
#include <cstdint>

#include "data/label_png.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path file = wsss::fuzz::scratchFolder() / "2007_000032.png";
  wsss::fuzz::writeInput(file, data, size);
  wsss::fuzz::expectCleanFailureOrSuccess(file.string(), [&] {
    const cv::Mat labels = wsss::readLabelPng(file.string());
    if (labels.type() != CV_8UC1 || labels.empty()) std::abort();
  });
  return 0;
}
