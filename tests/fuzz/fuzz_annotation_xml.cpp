// libFuzzer target: a VOC Annotations/<id>.xml file, read as `wsss` reads image-level labels.
#include <cstddef>
#include <cstdint>

#include "data/annotation_xml.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path file = wsss::fuzz::scratchFolder() / "2007_000032.xml";
  wsss::fuzz::writeInput(file, data, size);
  wsss::fuzz::expectCleanFailureOrSuccess(file.string(), [&] {
    for (const std::string& name : wsss::readAnnotationObjectNames(file.string())) {
      // Names come back trimmed and non-empty, or the file is refused.
      if (name.empty()) std::abort();
    }
  });
  return 0;
}
