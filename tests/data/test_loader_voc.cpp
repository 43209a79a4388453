// The loader on the VOC reader, end to end: a synthetic devkit with a planted corrupt JPEG.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#include "data/data_loader.h"
#include "data/toy/toy_dataset.h"
#include "data/voc_dataset.h"
#include "test_helpers.h"

namespace fs = std::filesystem;
using wsss::test::readText;
using wsss::test::TempDir;
using wsss::test::writeText;

namespace {

// A toy devkit of 8 training images whose third image is cut in half.
std::string corruptedDevkit(const TempDir& dir) {
  wsss::ToyDatasetOptions toy;
  toy.out = (dir / "toy").string();
  toy.trainImages = 8;
  toy.valImages = 2;
  wsss::writeToyDataset(toy);
  std::ifstream list(dir / "toy/ImageSets/Segmentation/train_aug.txt");
  std::string id;
  for (int line = 0; line < 3; ++line) list >> id;
  const fs::path image = dir / "toy/JPEGImages" / (id + ".jpg");
  const std::string bytes = readText(image);
  writeText(image, bytes.substr(0, bytes.size() / 2));
  return id;
}

wsss::DataOptions toyData(const TempDir& dir) {
  wsss::DataOptions data;
  data.root = (dir / "toy").string();
  data.needs.saliencyFor = "aamr";
  data.needs.pointsFor = "a point method";
  data.workers = 2;
  data.augment.cropSize = 96;
  return data;
}

}  // namespace

TEST_CASE("a corrupt JPEG stops the loader with its id and file, or is skipped", "[loader][voc]") {
  TempDir dir("loader_voc");
  const std::string badId = corruptedDevkit(dir);
  wsss::DataOptions data = toyData(dir);

  SECTION("raise names the image and the file") {
    auto dataset = std::make_shared<const wsss::VocDataset>(data, "train_aug");
    wsss::LoaderOptions options = wsss::loaderOptionsFor(data, 2, true, 0);
    options.shuffle = false;
    wsss::DataLoader loader(dataset, options);
    const auto first = loader.next();
    REQUIRE(first);
    CHECK(first->image.sizes() == torch::IntArrayRef({2, 3, 96, 96}));
    CHECK(first->mask.sizes() == torch::IntArrayRef({2, 96, 96}));
    CHECK(first->saliency.sizes() == torch::IntArrayRef({2, 1, 96, 96}));
    CHECK(first->points.defined());
    CHECK_THROWS_WITH(loader.next(),
                      Catch::Contains(badId) && Catch::Contains("JPEGImages/" + badId + ".jpg"));
  }

  SECTION("skip leaves it out and keeps batches full") {
    data.onError = wsss::OnError::Skip;
    auto dataset = std::make_shared<const wsss::VocDataset>(data, "train_aug");
    wsss::LoaderOptions options = wsss::loaderOptionsFor(data, 2, true, 0);
    options.shuffle = false;
    wsss::DataLoader loader(dataset, options);
    std::vector<std::string> seen;
    for (int batch = 0; batch < 3; ++batch) {  // 7 good images: 3 full batches per epoch
      const auto next = loader.next();
      REQUIRE(next);
      CHECK(next->size() == 2);
      seen.insert(seen.end(), next->ids.begin(), next->ids.end());
    }
    CHECK(std::find(seen.begin(), seen.end(), badId) == seen.end());
    CHECK(seen.size() == 6);
  }
}
