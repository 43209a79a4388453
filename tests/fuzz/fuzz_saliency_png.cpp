// libFuzzer target: a saliency map (a grey 0..255 PNG in data.saliency_dir), read as the loader
// reads it for the methods that use saliency.
#include <cstddef>
#include <cstdint>

#include "data/image_io.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path file = wsss::fuzz::scratchFolder() / "2007_000032_saliency.png";
  wsss::fuzz::writeInput(file, data, size);
  wsss::fuzz::expectCleanFailureOrSuccess(file.string(), [&] {
    const cv::Mat saliency = wsss::readGreyImage(file.string());
    if (saliency.type() != CV_8UC1 || saliency.empty()) std::abort();
  });
  return 0;
}
