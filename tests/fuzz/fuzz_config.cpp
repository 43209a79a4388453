// libFuzzer target: an experiment config file with `base:` inheritance, read as `wsss train
// --config` reads it. The input is written into a copy of the repository's configs/ folder (as
// configs/toy/fuzz.yaml), so `base: base.yaml`, `base: ../voc/base.yaml` and cycles through the
// input itself all resolve as they would for a user. A config that loads must also survive
// its own dump: the effective YAML loaded back gives the same YAML.
#include <cstddef>
#include <cstdint>

#include "core/config/config_loader.h"
#include "fuzz_input.h"
#include "train/experiment_config.h"

namespace {

std::filesystem::path inputPath() {
  static const std::filesystem::path path = [] {
    const std::filesystem::path configs = wsss::fuzz::scratchFolder() / "configs";
    std::filesystem::remove_all(configs);
    std::filesystem::copy(std::filesystem::path(WSSS_SOURCE_DIR) / "configs", configs,
                          std::filesystem::copy_options::recursive);
    return configs / "toy" / "fuzz.yaml";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path file = inputPath();
  wsss::fuzz::writeInput(file, data, size);
  // A problem may lie in a base file the input names, so the error names a config file, not
  // necessarily this one.
  wsss::fuzz::expectCleanFailureOrSuccess(".yaml", [&] {
    wsss::ExperimentConfig config = wsss::readConfig<wsss::ExperimentConfig>(file.string(), {});
    const std::string dumped = wsss::configToYaml(config);
    wsss::ExperimentConfig reloaded;
    try {
      reloaded = wsss::readConfigText<wsss::ExperimentConfig>(dumped, "the dump of fuzz.yaml");
    } catch (const wsss::Error& error) {
      std::fprintf(stderr, "the dump of a config that loaded does not load: %s\n%s\n",
                   error.what(), dumped.c_str());
      std::abort();
    }
    if (wsss::configToYaml(reloaded) != dumped) {
      std::fprintf(stderr, "a config's dump changes when loaded back:\n%s\n", dumped.c_str());
      std::abort();
    }
  });
  return 0;
}
