// libFuzzer target: a clicks file in the What's-the-Point JSON format (data.points_file).
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "data/points_json.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path file = wsss::fuzz::scratchFolder() / "points.json";
  wsss::fuzz::writeInput(file, data, size);
  wsss::fuzz::expectCleanFailureOrSuccess(file.string(), [&] {
    for (const auto& [id, points] : wsss::readPointsJson(file.string())) {
      for (const wsss::Point& point : points) {
        // What the reader accepts is what the loader relies on: finite coordinates.
        if (!std::isfinite(point.x) || !std::isfinite(point.y)) std::abort();
      }
    }
  });
  return 0;
}
