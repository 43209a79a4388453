#include "data/voc_classes.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.h"
#include "core/text.h"

namespace wsss {

namespace {

namespace fs = std::filesystem;

// Mask values 1..C must stay below 255, the void value.
constexpr size_t kMaxClasses = 254;

std::vector<std::string> readClassesFile(const fs::path& file) {
  std::ifstream in(file);
  WSSS_CHECK(in.good(), "cannot open class list ", file.string());
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (!line.empty()) names.push_back(line);
  }
  return names;
}

void validate(const std::vector<std::string>& names, const std::string& origin) {
  WSSS_CHECK(!names.empty(), "the class list from ", origin, " is empty");
  WSSS_CHECK(names.size() <= kMaxClasses, "the class list from ", origin, " has ", names.size(),
             " classes; 8-bit masks hold at most ", kMaxClasses);
  std::set<std::string> seen;
  for (const std::string& name : names) {
    WSSS_CHECK(!trim(name).empty(), "the class list from ", origin, " has an empty name");
    WSSS_CHECK(seen.insert(name).second, "the class list from ", origin, " names '", name,
               "' twice; class names must be unique (mask value k is the k-th name), so "
               "remove the repeat");
  }
}

}  // namespace

const std::vector<std::string>& vocClassNames() {
  static const std::vector<std::string> names = {
      "aeroplane", "bicycle",     "bird",  "boat",        "bottle", "bus",      "car",
      "cat",       "chair",       "cow",   "diningtable", "dog",    "horse",    "motorbike",
      "person",    "pottedplant", "sheep", "sofa",        "train",  "tvmonitor"};
  return names;
}

std::vector<std::string> resolveClassNames(const DataOptions& options) {
  if (!options.classes.empty()) {
    validate(options.classes, "data.classes");
    return options.classes;
  }
  const fs::path file = fs::path(options.root) / "classes.txt";
  std::error_code error;
  if (fs::exists(file, error)) {
    std::vector<std::string> names = readClassesFile(file);
    validate(names, file.string());
    return names;
  }
  return vocClassNames();
}

int64_t classIndex(const std::vector<std::string>& classes, const std::string& name) {
  for (size_t index = 0; index < classes.size(); ++index) {
    if (classes[index] == name) return static_cast<int64_t>(index);
  }
  return -1;
}

}  // namespace wsss
