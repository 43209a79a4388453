#pragma once
// Point supervision in the What's-the-Point format: a JSON object mapping image ids to clicks,
//   {"2007_000032": [{"x": 120.0, "y": 88.5, "rank": 1, "cls": 1}, ...], ...}
// with zero-based pixel coordinates and cls 1..C for an object click, 0 for background.
#include <string>
#include <unordered_map>
#include <vector>

#include "data/sample.h"

namespace wsss {

using PointTable = std::unordered_map<std::string, std::vector<Point>>;

// Reads the whole file (once per dataset). "rank" may be left out (1); an image may map to
// null (no clicks). Throws wsss::Error naming the file, and the image id and point where they
// apply, for a missing or empty file, text that is not JSON, JSON not in the shape above, or a
// point without numeric x and y and whole-number cls (and rank). Range checks against an image
// happen when it is read.
PointTable readPointsJson(const std::string& path);

}  // namespace wsss
