#pragma once
// The foreground class list of a dataset. Background is not a class here: mask value 0 is
// background and mask value c + 1 is class c of this list.
#include <cstdint>
#include <string>
#include <vector>

#include "data/data_options.h"

namespace wsss {

// The 20 PASCAL VOC classes in the standard order (aeroplane ... tvmonitor).
const std::vector<std::string>& vocClassNames();

// The classes a dataset uses: DataOptions::classes when given, else <root>/classes.txt (one
// name per line, blank lines ignored) when it exists, else the VOC classes. Throws
// wsss::Error for an empty or duplicated name, or more classes than 8-bit masks can hold.
std::vector<std::string> resolveClassNames(const DataOptions& options);

// Position of `name` in `classes`, or -1.
int64_t classIndex(const std::vector<std::string>& classes, const std::string& name);

}  // namespace wsss
