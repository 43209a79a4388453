#include "data/points_json.h"

#include <nlohmann/json.hpp>
#include <type_traits>

#include "core/error.h"
#include "data/image_io.h"

namespace wsss {

namespace {

using Json = nlohmann::json;

// The shape every error about the file's structure shows, so the message says what to write.
constexpr const char* kShape =
    "{\"<image id>\": [{\"x\": 120.0, \"y\": 88.5, \"rank\": 1, \"cls\": 1}, ...], ...}";

// nlohmann's message without its "[json.exception.parse_error.101] " tag.
std::string parseErrorText(const Json::exception& error) {
  const std::string text = error.what();
  const size_t tagEnd = text.find("] ");
  return tagEnd == std::string::npos ? text : text.substr(tagEnd + 2);
}

// The click's `key`: any number for a coordinate, a whole number for rank and cls.
template <class T>
T readNumber(const Json& click, const char* key, const std::string& path, const std::string& id,
             size_t position) {
  const auto value = click.find(key);
  WSSS_CHECK(value != click.end() && !value->is_null(), "points file ", path, ": point ",
             position, " of image ", id, " has no numeric \"", key, "\"");
  WSSS_CHECK(value->is_number(), "points file ", path, ": point ", position, " of image ", id,
             " has \"", key, "\": ", value->dump(), ", expected a number");
  if constexpr (std::is_integral_v<T>) {
    WSSS_CHECK(value->is_number_integer(), "points file ", path, ": point ", position,
               " of image ", id, " has \"", key, "\": ", value->dump(),
               ", expected a whole number");
  }
  return value->get<T>();
}

}  // namespace

PointTable readPointsJson(const std::string& path) {
  const std::vector<uint8_t> bytes = readFileBytes(path);
  Json root;
  try {
    root = Json::parse(bytes.begin(), bytes.end());
  } catch (const Json::exception& error) {
    // parse_error for bad syntax, out_of_range for a number no double holds (1e400).
    WSSS_FAIL("points file ", path, " is not JSON: ", parseErrorText(error),
              " (fix it there, or write it again; it maps image ids to lists of points, ",
              kShape, ")");
  }
  WSSS_CHECK(root.is_object(), "points file ", path, " is not in the clicks' shape: it is ",
             root.type_name(), ", but must hold a JSON object mapping image ids to lists of "
             "points, ", kShape);
  PointTable table;
  for (const auto& [id, clicks] : root.items()) {
    WSSS_CHECK(clicks.is_array() || clicks.is_null(), "points file ", path, ": image ", id,
               " must map to a list of points, not ", clicks.type_name(), " (", kShape, ")");
    std::vector<Point>& points = table[id];
    for (size_t position = 0; clicks.is_array() && position < clicks.size(); ++position) {
      const Json& click = clicks[position];
      WSSS_CHECK(click.is_object(), "points file ", path, ": point ", position, " of image ", id,
                 " must be an object with x, y, rank and cls, not ", click.type_name(), " (",
                 kShape, ")");
      Point point;
      point.x = readNumber<float>(click, "x", path, id, position);
      point.y = readNumber<float>(click, "y", path, id, position);
      point.cls = readNumber<int64_t>(click, "cls", path, id, position);
      point.rank = click.contains("rank") ? readNumber<int64_t>(click, "rank", path, id, position)
                                          : 1;
      points.push_back(point);
    }
  }
  return table;
}

}  // namespace wsss
