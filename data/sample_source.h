#pragma once
// Anything the loader can draw samples from: the VOC reader, or a fixture in tests.
#include <cstdint>
#include <string>

#include "data/sample.h"

namespace wsss {

class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual size_t size() const = 0;
  virtual const std::string& id(size_t index) const = 0;
  virtual int64_t numClasses() const = 0;
  // Reads sample `index`; throws wsss::Error naming the image id and the file on bad input.
  // Must be safe to call from several threads at once.
  virtual Sample load(size_t index) const = 0;
  // Whether its samples carry the clicks a method reads: the loader then gives every batch
  // Batch::points, with no rows where no click survived the crop.
  virtual bool readsPoints() const { return false; }
};

}  // namespace wsss
