#include "data/points_json.h"

#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "data/image_io.h"

namespace wsss {

namespace {

template <class T>
T readNumber(const YAML::Node& click, const char* key, const std::string& path,
             const std::string& id, size_t position) {
  const YAML::Node value = click[key];
  WSSS_CHECK(value && value.IsScalar(), "points file ", path, ": point ", position, " of image ",
             id, " has no numeric \"", key, "\"");
  try {
    return value.as<T>();
  } catch (const YAML::Exception&) {
    WSSS_FAIL("points file ", path, ": point ", position, " of image ", id, " has \"", key,
              "\": ", value.Scalar(), ", expected a number");
  }
}

}  // namespace

PointTable readPointsJson(const std::string& path) {
  const std::vector<uint8_t> bytes = readFileBytes(path);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(bytes.begin(), bytes.end()));
  } catch (const YAML::Exception& error) {
    WSSS_FAIL("points file ", path, " is not valid JSON: ", error.what());
  }
  WSSS_CHECK(root.IsMap(), "points file ", path,
             " must hold a JSON object mapping image ids to lists of points");
  PointTable table;
  for (const auto& entry : root) {
    const std::string id = entry.first.as<std::string>();
    const YAML::Node& clicks = entry.second;
    WSSS_CHECK(clicks.IsSequence() || clicks.IsNull(), "points file ", path, ": image ", id,
               " must map to a list of points");
    std::vector<Point>& points = table[id];
    for (size_t position = 0; clicks.IsSequence() && position < clicks.size(); ++position) {
      const YAML::Node click = clicks[position];
      WSSS_CHECK(click.IsMap(), "points file ", path, ": point ", position, " of image ", id,
                 " must be an object with x, y, rank and cls");
      Point point;
      point.x = readNumber<float>(click, "x", path, id, position);
      point.y = readNumber<float>(click, "y", path, id, position);
      point.cls = readNumber<int64_t>(click, "cls", path, id, position);
      point.rank = click["rank"] ? readNumber<int64_t>(click, "rank", path, id, position) : 1;
      points.push_back(point);
    }
  }
  return table;
}

}  // namespace wsss
