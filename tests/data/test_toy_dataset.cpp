#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/label_png.h"
#include "data/points_json.h"
#include "data/toy/toy_dataset.h"
#include "data/toy/toy_random.h"
#include "data/toy/toy_scene.h"
#include "data/toy/toy_shapes.h"
#include "data/voc_dataset.h"
#include "test_helpers.h"

namespace fs = std::filesystem;
using wsss::test::readText;
using wsss::test::TempDir;

namespace {

wsss::ToyDatasetOptions smallOptions(const fs::path& out, uint64_t seed) {
  wsss::ToyDatasetOptions options;
  options.out = out.string();
  options.trainImages = 12;
  options.valImages = 4;
  options.testImages = 3;
  options.seed = seed;
  return options;
}

std::vector<std::string> lines(const fs::path& file) {
  std::vector<std::string> result;
  std::istringstream text(readText(file));
  for (std::string line; std::getline(text, line);) result.push_back(line);
  return result;
}

std::vector<std::string> filesUnder(const fs::path& root) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), root).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Scenes made in memory, shared by the tests that measure the dataset's design.
const std::vector<wsss::ToyScene>& scenes() {
  static const std::vector<wsss::ToyScene> made = [] {
    std::vector<wsss::ToyScene> result;
    for (uint64_t image = 1; image <= 300; ++image)
      result.push_back(wsss::makeToyScene(wsss::toyImageSeed(3, image)));
    return result;
  }();
  return made;
}

// The background kind most of the ring around an object's lower third shows: what the
// object sits on or flies in.
int backgroundUnder(const wsss::ToyScene& scene, size_t object) {
  const cv::Mat own = scene.instance == static_cast<int>(object + 1);
  cv::Mat grown;
  cv::dilate(own, grown, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(9, 9)));
  const cv::Mat ring = grown & (scene.instance == 0);
  const cv::Rect& box = scene.objects[object].box;
  std::vector<int> counts(3, 0);
  for (int y = box.y + box.height * 2 / 3; y < ring.rows; ++y) {
    for (int x = 0; x < ring.cols; ++x) {
      if (ring.at<uint8_t>(y, x)) ++counts[scene.region.at<uint8_t>(y, x)];
    }
  }
  return static_cast<int>(std::max_element(counts.begin(), counts.end()) - counts.begin());
}

}  // namespace

TEST_CASE("toy dataset writes the PASCAL VOC layout", "[toy]") {
  TempDir dir("toy");
  const wsss::ToyDatasetSummary summary = wsss::writeToyDataset(smallOptions(dir.path(), 5));
  CHECK(summary.trainImages == 12);
  CHECK(summary.valImages == 4);
  CHECK(summary.objects >= 16);
  CHECK(summary.classNames == wsss::toyClassNames());
  CHECK(lines(dir / "classes.txt") == wsss::toyClassNames());

  const fs::path lists = dir / "ImageSets" / "Segmentation";
  const std::vector<std::string> trainAug = lines(lists / "train_aug.txt");
  const std::vector<std::string> train = lines(lists / "train.txt");
  const std::vector<std::string> val = lines(lists / "val.txt");
  const std::vector<std::string> test = lines(lists / "test.txt");
  REQUIRE(trainAug.size() == 12);
  REQUIRE(train.size() == 6);
  REQUIRE(val.size() == 4);
  REQUIRE(test.size() == 3);
  CHECK(trainAug.front() == "2007_000001");
  CHECK(std::equal(train.begin(), train.end(), trainAug.begin()));

  const wsss::PointTable points = wsss::readPointsJson((dir / "points.json").string());
  CHECK(points.size() == 16);
  auto annotated = [&](const std::string& id, bool segmentationClass) {
    INFO(id);
    CHECK(fs::exists(dir / "JPEGImages" / (id + ".jpg")));
    CHECK(fs::exists(dir / "SegmentationClassAug" / (id + ".png")));
    CHECK(fs::exists(dir / "SALImages" / (id + ".png")));
    CHECK(fs::exists(dir / "Annotations" / (id + ".xml")));
    CHECK(fs::exists(dir / "SegmentationClass" / (id + ".png")) == segmentationClass);
    CHECK(points.count(id) == 1);
  };
  for (size_t i = 0; i < trainAug.size(); ++i) annotated(trainAug[i], i < train.size());
  for (const std::string& id : val) annotated(id, true);
  for (const std::string& id : test) {
    INFO(id);
    CHECK(fs::exists(dir / "JPEGImages" / (id + ".jpg")));
    CHECK(fs::exists(dir / "SALImages" / (id + ".png")));
    CHECK_FALSE(fs::exists(dir / "SegmentationClassAug" / (id + ".png")));
    CHECK_FALSE(fs::exists(dir / "Annotations" / (id + ".xml")));
    CHECK(points.count(id) == 0);
  }

  // Sizes vary from image to image, and every mask matches its image.
  std::set<std::pair<int, int>> sizes;
  for (const std::string& id : trainAug) {
    const cv::Mat image = cv::imread((dir / "JPEGImages" / (id + ".jpg")).string());
    const cv::Mat mask =
        cv::imread((dir / "SegmentationClassAug" / (id + ".png")).string(), cv::IMREAD_UNCHANGED);
    REQUIRE(mask.type() == CV_8UC1);
    CHECK(mask.size() == image.size());
    CHECK((image.cols >= 160 && image.cols <= 240 && image.rows >= 160 && image.rows <= 240));
    sizes.insert({image.cols, image.rows});
  }
  CHECK(sizes.size() > 6);
}

TEST_CASE("toy dataset is the same for the same seed only", "[toy]") {
  TempDir first("toy_a");
  TempDir second("toy_b");
  TempDir other("toy_c");
  wsss::writeToyDataset(smallOptions(first.path(), 11));
  wsss::writeToyDataset(smallOptions(second.path(), 11));
  wsss::writeToyDataset(smallOptions(other.path(), 12));
  const std::vector<std::string> files = filesUnder(first.path());
  REQUIRE(files == filesUnder(second.path()));
  REQUIRE(files == filesUnder(other.path()));
  int differing = 0;
  for (const std::string& file : files) {
    INFO(file);
    CHECK(readText(first / file) == readText(second / file));
    if (readText(first / file) != readText(other / file)) ++differing;
  }
  // Everything but the class and split lists depends on the seed.
  CHECK(differing >= static_cast<int>(files.size()) - 5);
}

TEST_CASE("toy masks hold classes and a void band between them", "[toy]") {
  TempDir dir("toy");
  wsss::writeToyDataset(smallOptions(dir.path(), 5));
  const int64_t classes = static_cast<int64_t>(wsss::toyClassNames().size());
  for (const std::string& id : lines(dir / "ImageSets" / "Segmentation" / "val.txt")) {
    INFO(id);
    const cv::Mat mask = wsss::readLabelPng((dir / "SegmentationClass" / (id + ".png")).string());
    const cv::Mat grey =
        cv::imread((dir / "SegmentationClassAug" / (id + ".png")).string(), cv::IMREAD_UNCHANGED);
    REQUIRE(mask.size() == grey.size());
    CHECK(cv::countNonZero(mask != grey) == 0);
    int voidPixels = 0;
    int outOfRange = 0;
    int touching = 0;
    for (int y = 0; y < mask.rows; ++y) {
      for (int x = 0; x < mask.cols; ++x) {
        const int value = mask.at<uint8_t>(y, x);
        outOfRange += value > classes && value != 255;
        voidPixels += value == 255;
        // Two different labels never meet: the void band lies between them.
        if (x + 1 < mask.cols && value != 255) {
          const int right = mask.at<uint8_t>(y, x + 1);
          touching += right != 255 && right != value;
        }
        if (y + 1 < mask.rows && value != 255) {
          const int below = mask.at<uint8_t>(y + 1, x);
          touching += below != 255 && below != value;
        }
      }
    }
    CHECK(outOfRange == 0);
    CHECK(touching == 0);
    CHECK(voidPixels > 0);
  }
}

TEST_CASE("toy void band surrounds every object, also against its own class", "[toy]") {
  int unmarked = 0;
  for (const wsss::ToyScene& scene : scenes()) {
    const cv::Mat& owner = scene.instance;
    const cv::Mat& label = scene.label;
    auto check = [&](int y0, int x0, int y1, int x1) {
      if (owner.at<uint8_t>(y0, x0) == owner.at<uint8_t>(y1, x1)) return;
      unmarked += label.at<uint8_t>(y0, x0) != 255 || label.at<uint8_t>(y1, x1) != 255;
    };
    for (int y = 0; y < owner.rows; ++y) {
      for (int x = 0; x < owner.cols; ++x) {
        if (x + 1 < owner.cols) check(y, x, y, x + 1);
        if (y + 1 < owner.rows) check(y, x, y + 1, x);
      }
    }
  }
  CHECK(unmarked == 0);
}

TEST_CASE("toy dataset reads back through the VOC reader", "[toy]") {
  TempDir dir("toy");
  wsss::writeToyDataset(smallOptions(dir.path(), 7));
  wsss::DataOptions options;
  options.root = dir.path().string();
  options.needs.saliencyFor = "aamr";
  options.needs.pointsFor = "a point method";
  for (const std::string split : {"train_aug", "val"}) {
    INFO(split);
    options.labelSource = wsss::LabelSource::Xml;
    const wsss::VocDataset fromXml(options, split);
    options.labelSource = wsss::LabelSource::Mask;
    const wsss::VocDataset fromMask(options, split);
    REQUIRE(fromXml.size() == (split == "val" ? 4u : 12u));
    CHECK(fromXml.numClasses() == 6);
    CHECK(fromXml.classNames() == wsss::toyClassNames());
    for (size_t i = 0; i < fromXml.size(); ++i) {
      const wsss::Sample xml = fromXml.load(i);
      const wsss::Sample mask = fromMask.load(i);
      INFO(xml.id);
      CHECK(xml.labels == mask.labels);
      CHECK(std::count(xml.labels.begin(), xml.labels.end(), 1) >= 1);
      REQUIRE(!mask.mask.empty());
      CHECK(mask.saliency.size() == mask.image.size());
      CHECK(mask.mask.size() == mask.image.size());
      int objectClicks = 0;
      for (const wsss::Point& point : mask.points) {
        const int x = static_cast<int>(point.x);
        const int y = static_cast<int>(point.y);
        REQUIRE((x >= 0 && y >= 0 && x < mask.mask.cols && y < mask.mask.rows));
        CHECK(mask.mask.at<uint8_t>(y, x) == point.cls);
        if (point.cls > 0) {
          CHECK(mask.labels[static_cast<size_t>(point.cls - 1)] == 1);
          ++objectClicks;
        }
      }
      CHECK(objectClicks >= 1);
    }
  }
  // The test split has images only.
  const wsss::VocDataset test(options, "test");
  CHECK(test.size() == 3);
  CHECK_FALSE(test.hasMasks());
}

TEST_CASE("toy cats and dogs share a body and differ by a small part", "[toy]") {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    wsss::ToyRandom catRandom(seed);
    wsss::ToyRandom dogRandom(seed);
    const wsss::ToyStyle cat = wsss::sampleToyStyle(catRandom, wsss::kToyCat);
    const wsss::ToyStyle dog = wsss::sampleToyStyle(dogRandom, wsss::kToyDog);
    // The same draws give the same fur: only the part's surface differs.
    CHECK(cat.paints[0].colour == dog.paints[0].colour);
    CHECK(cat.paints[2].colour != dog.paints[2].colour);
    wsss::ToyPlacement placement;
    placement.centre = {120, 120};
    placement.scale = 150;
    placement.mirror = seed % 2 == 1;
    const wsss::ToyShape catShape = wsss::drawToyShape(cat, placement, {240, 240});
    const wsss::ToyShape dogShape = wsss::drawToyShape(dog, placement, {240, 240});
    const cv::Mat catBody = catShape.mask & ~catShape.partMask;
    const cv::Mat dogBody = dogShape.mask & ~dogShape.partMask;
    const double catArea = cv::countNonZero(catShape.mask);
    const double dogArea = cv::countNonZero(dogShape.mask);
    const double catPart = cv::countNonZero(catShape.partMask);
    const double dogPart = cv::countNonZero(dogShape.partMask);
    // Bodies agree wherever neither part covers them; the parts are small and elsewhere.
    const cv::Mat eitherPart = catShape.partMask | dogShape.partMask;
    CHECK(cv::countNonZero((catBody ^ dogBody) & ~eitherPart) == 0);
    CHECK(catPart / catArea > 0.03);
    CHECK(catPart / catArea < 0.1);
    CHECK(dogPart / dogArea > 0.03);
    CHECK(dogPart / dogArea < 0.1);
    CHECK(cv::countNonZero(catShape.partMask & dogShape.partMask) <
          0.2 * std::min(catPart, dogPart));
    CHECK(std::abs(catArea - dogArea) < 0.06 * catArea);
  }

  // Across the dataset the two classes come in the same sizes.
  double catArea = 0, dogArea = 0, catParts = 0, dogParts = 0;
  int cats = 0, dogs = 0;
  for (const wsss::ToyScene& scene : scenes()) {
    for (const wsss::ToyObject& object : scene.objects) {
      const double share =
          static_cast<double>(object.area) / static_cast<double>(scene.image.total());
      const double part = static_cast<double>(object.partArea) / static_cast<double>(object.area);
      if (object.cls == wsss::kToyCat) {
        catArea += share, catParts += part, ++cats;
      } else if (object.cls == wsss::kToyDog) {
        dogArea += share, dogParts += part, ++dogs;
      }
    }
  }
  REQUIRE(cats > 30);
  REQUIRE(dogs > 30);
  CHECK(catArea / cats == Approx(dogArea / dogs).epsilon(0.15));
  CHECK(catParts / cats < 0.1);
  CHECK(dogParts / dogs < 0.1);
}

TEST_CASE("toy boats sit on water and aeroplanes fly in the sky", "[toy]") {
  int boats = 0, boatsOnWater = 0, planes = 0, planesInSky = 0;
  int waterImages = 0, waterWithBoat = 0, multiClass = 0, faint = 0, objects = 0,
      salientBackground = 0;
  for (const wsss::ToyScene& scene : scenes()) {
    std::set<int64_t> present;
    for (size_t k = 0; k < scene.objects.size(); ++k) {
      const wsss::ToyObject& object = scene.objects[k];
      present.insert(object.cls);
      ++objects;
      faint += object.saliency < 0.5;
      if (object.cls == wsss::kToyBoat) {
        ++boats;
        boatsOnWater += backgroundUnder(scene, k) == wsss::kToyWater;
      } else if (object.cls == wsss::kToyAeroplane) {
        ++planes;
        planesInSky += backgroundUnder(scene, k) == wsss::kToySky;
      }
    }
    multiClass += present.size() > 1;
    if (cv::countNonZero(scene.region == wsss::kToyWater) > 0) {
      ++waterImages;
      waterWithBoat += present.count(wsss::kToyBoat) > 0;
    }
    // Saliency on background well away from every object: a distractor.
    cv::Mat near;
    cv::dilate(scene.instance > 0, near,
               cv::getStructuringElement(cv::MORPH_RECT, cv::Size(13, 13)));
    salientBackground += cv::countNonZero((scene.saliency > 128) & ~near) > 20;
  }
  REQUIRE(boats > 30);
  REQUIRE(planes > 30);
  CHECK(boatsOnWater >= 0.8 * boats);
  CHECK(boatsOnWater < boats);  // a few boats elsewhere, so water is a cue, not the class
  CHECK(planesInSky >= 0.8 * planes);
  CHECK(planesInSky < planes);
  CHECK(waterWithBoat >= 0.95 * waterImages);
  CHECK(multiClass >= 0.25 * static_cast<double>(scenes().size()));
  // Saliency is imperfect: some objects faint, some backgrounds salient, but mostly right.
  CHECK(faint >= 0.1 * objects);
  CHECK(faint <= 0.4 * objects);
  CHECK(salientBackground >= 0.1 * static_cast<double>(scenes().size()));
}

TEST_CASE("toy dataset names the path it cannot write", "[toy]") {
  TempDir dir("toy");
  wsss::test::writeText(dir / "taken", "a file, not a folder");
  wsss::ToyDatasetOptions options = smallOptions(dir / "taken", 0);
  CHECK_THROWS_AS(wsss::writeToyDataset(options), wsss::Error);
  CHECK_THROWS_WITH(wsss::writeToyDataset(options), Catch::Contains("taken"));
  options.out = (dir / "fine").string();
  options.valImages = 0;
  CHECK_THROWS_AS(wsss::writeToyDataset(options), wsss::Error);
}
