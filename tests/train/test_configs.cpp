// Every experiment file shipped under configs/ loads, and the baselines say what they claim.
#include <catch2/catch.hpp>
#include <filesystem>

#include "core/config/config_loader.h"
#include "test_helpers.h"
#include "train/experiment_config.h"

namespace fs = std::filesystem;

namespace {

wsss::ExperimentConfig shipped(const std::string& relative) {
  return wsss::readConfig<wsss::ExperimentConfig>(
      (fs::path(WSSS_SOURCE_DIR) / "configs" / relative).string(), {});
}

}  // namespace

TEST_CASE("every file under configs/ loads", "[configs]") {
  int files = 0;
  for (const auto& entry :
       fs::recursive_directory_iterator(fs::path(WSSS_SOURCE_DIR) / "configs")) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path().string());
    CHECK_NOTHROW(wsss::readConfig<wsss::ExperimentConfig>(entry.path().string(), {}));
    ++files;
  }
  CHECK(files >= 6);
}

TEST_CASE("the baselines are the documented recipes", "[configs]") {
  const auto toy = shipped("toy/baseline.yaml");
  CHECK(toy.model.backbone == "scratch");
  CHECK(toy.supervision == "image_labels");
  CHECK(toy.train.iterations == 1000);
  const auto full = shipped("toy/full.yaml");
  CHECK(full.supervision == "full");
  CHECK(full.model.backbone == toy.model.backbone);
  CHECK(full.train.iterations == toy.train.iterations);
  const auto voc = shipped("voc/baseline.yaml");
  CHECK(voc.model.backbone == "resnet50");
  CHECK(voc.model.outputStride == 16);
  CHECK(voc.model.batchNorm == "frozen");
  CHECK(voc.model.pretrained == "weights/resnet50.pt");
  CHECK(voc.train.optimizer == "sgd");
  CHECK(voc.train.headLrScale == 10);
  CHECK(voc.data.augment.cropSize == 448);
}
