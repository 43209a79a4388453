#include "data/toy/toy_dataset.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <locale>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/json_format.h"
#include "data/label_png.h"
#include "data/toy/toy_random.h"
#include "data/toy/toy_scene.h"
#include "data/toy/toy_shapes.h"

namespace wsss {

namespace fs = std::filesystem;

namespace {

enum class Split { TrainAug, Val, Test };

struct ImageRecord {
  std::string id;
  Split split = Split::TrainAug;
  int64_t objects = 0;
  std::vector<Point> points;  // this image's clicks
};

std::string className(int64_t cls) { return toyClassNames().at(static_cast<size_t>(cls - 1)); }

void writeText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  WSSS_CHECK(out.good(), "toy dataset: cannot write ", path.string());
}

void writeImage(const fs::path& path, const cv::Mat& image,
                const std::vector<int>& parameters = {}) {
  WSSS_CHECK(cv::imwrite(path.string(), image, parameters), "toy dataset: cannot write ",
             path.string());
}

std::ostringstream numberStream() {
  std::ostringstream stream;
  stream.imbue(std::locale::classic());
  return stream;
}

std::string annotationXml(const std::string& id, const ToyScene& scene) {
  std::ostringstream xml = numberStream();
  xml << "<annotation>\n"
      << "\t<folder>VOC2012</folder>\n"
      << "\t<filename>" << id << ".jpg</filename>\n"
      << "\t<source>\n\t\t<database>wsss toy dataset</database>\n\t</source>\n"
      << "\t<size>\n\t\t<width>" << scene.image.cols << "</width>\n\t\t<height>" << scene.image.rows
      << "</height>\n\t\t<depth>3</depth>\n\t</size>\n"
      << "\t<segmented>1</segmented>\n";
  for (const ToyObject& object : scene.objects) {
    // VOC boxes are 1-based and include their last pixel.
    xml << "\t<object>\n"
        << "\t\t<name>" << className(object.cls) << "</name>\n"
        << "\t\t<pose>Unspecified</pose>\n"
        << "\t\t<truncated>" << (object.truncated ? 1 : 0) << "</truncated>\n"
        << "\t\t<difficult>0</difficult>\n"
        << "\t\t<bndbox>\n"
        << "\t\t\t<xmin>" << object.box.x + 1 << "</xmin>\n"
        << "\t\t\t<ymin>" << object.box.y + 1 << "</ymin>\n"
        << "\t\t\t<xmax>" << object.box.x + object.box.width << "</xmax>\n"
        << "\t\t\t<ymax>" << object.box.y + object.box.height << "</ymax>\n"
        << "\t\t</bndbox>\n"
        << "\t</object>\n";
  }
  xml << "</annotation>\n";
  return xml.str();
}

// A click as points.json holds it, its coordinates with the one decimal they have always had.
nlohmann::ordered_json clickJson(const Point& point) {
  return {{"x", roundedToDecimals(point.x, 1)},
          {"y", roundedToDecimals(point.y, 1)},
          {"rank", point.rank},
          {"cls", point.cls}};
}

// Generates image `number` and writes its files. Test images get no annotation, only the
// JPEG and the saliency map (a detector's output, available for any image); only the train
// list's images and val get a SegmentationClass mask, as in VOC.
void writeImageFiles(const fs::path& root, uint64_t seed, int64_t number, bool inTrain,
                     ImageRecord& record) {
  const ToyScene scene = makeToyScene(toyImageSeed(seed, static_cast<uint64_t>(number)));
  const std::string& id = record.id;
  cv::Mat bgr;
  cv::cvtColor(scene.image, bgr, cv::COLOR_RGB2BGR);
  writeImage(root / "JPEGImages" / (id + ".jpg"), bgr, {cv::IMWRITE_JPEG_QUALITY, 90});
  writeImage(root / "SALImages" / (id + ".png"), scene.saliency);
  if (record.split == Split::Test) return;
  if (inTrain || record.split == Split::Val)
    writeLabelPng((root / "SegmentationClass" / (id + ".png")).string(), scene.label);
  writeImage(root / "SegmentationClassAug" / (id + ".png"), scene.label);
  writeText(root / "Annotations" / (id + ".xml"), annotationXml(id, scene));
  record.objects = static_cast<int64_t>(scene.objects.size());
  record.points = scene.points;
}

std::string idList(const std::vector<ImageRecord>& records, Split split, size_t limit = SIZE_MAX) {
  std::string text;
  size_t count = 0;
  for (const ImageRecord& record : records) {
    if (record.split != split || count++ >= limit) continue;
    text += record.id + "\n";
  }
  return text;
}

}  // namespace

const std::vector<std::string>& toyClassNames() {
  static const std::vector<std::string> names = {"aeroplane", "boat", "car",
                                                 "cat",       "dog",  "person"};
  return names;
}

std::string toyImageId(int64_t number) {
  char id[32];
  std::snprintf(id, sizeof(id), "2007_%06lld", static_cast<long long>(number));
  return id;
}

ToyDatasetSummary writeToyDataset(const ToyDatasetOptions& options) {
  WSSS_CHECK(!options.out.empty(), "toy dataset: no destination folder given");
  WSSS_CHECK(options.trainImages >= 1 && options.valImages >= 1 && options.testImages >= 0,
             "toy dataset: need at least one train and one val image (and no negative test count), "
             "got train ",
             options.trainImages, ", val ", options.valImages, ", test ", options.testImages);
  const fs::path root(options.out);
  for (const char* folder : {"JPEGImages", "SegmentationClass", "SegmentationClassAug",
                             "Annotations", "SALImages", "ImageSets/Segmentation"}) {
    std::error_code error;
    fs::create_directories(root / folder, error);
    WSSS_CHECK(!error && fs::is_directory(root / folder), "toy dataset: cannot create folder ",
               (root / folder).string(), (error ? ": " + error.message() : std::string()));
  }

  std::vector<ImageRecord> records(
      static_cast<size_t>(options.trainImages + options.valImages + options.testImages));
  for (size_t i = 0; i < records.size(); ++i) {
    const int64_t index = static_cast<int64_t>(i);
    records[i].id = toyImageId(index + 1);
    records[i].split = index < options.trainImages                       ? Split::TrainAug
                       : index < options.trainImages + options.valImages ? Split::Val
                                                                         : Split::Test;
  }
  const size_t trainCount = static_cast<size_t>((options.trainImages + 1) / 2);

  // Every image has its own random stream, so the images can be made in any order at once.
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex failureMutex;
  auto work = [&] {
    for (size_t i = next++; i < records.size(); i = next++) {
      try {
        writeImageFiles(root, options.seed, static_cast<int64_t>(i) + 1, i < trainCount,
                        records[i]);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failureMutex);
        if (!failure) failure = std::current_exception();
        next = records.size();
      }
    }
  };
  const size_t threadCount = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < threadCount; ++t) threads.emplace_back(work);
  for (std::thread& thread : threads) thread.join();
  if (failure) std::rethrow_exception(failure);

  ToyDatasetSummary summary;
  summary.trainImages = options.trainImages;
  summary.valImages = options.valImages;
  summary.classNames = toyClassNames();
  nlohmann::ordered_json points = nlohmann::ordered_json::object();
  for (const ImageRecord& record : records) {
    if (record.split == Split::Test) continue;
    summary.objects += record.objects;
    nlohmann::ordered_json& clicks = points[record.id] = nlohmann::ordered_json::array();
    for (const Point& point : record.points) clicks.push_back(clickJson(point));
  }
  writeText(root / "points.json", jsonFileText(points));

  std::string classes;
  for (const std::string& name : toyClassNames()) classes += name + "\n";
  writeText(root / "classes.txt", classes);
  const fs::path lists = root / "ImageSets" / "Segmentation";
  writeText(lists / "train_aug.txt", idList(records, Split::TrainAug));
  writeText(lists / "train.txt", idList(records, Split::TrainAug, trainCount));
  writeText(lists / "val.txt", idList(records, Split::Val));
  writeText(lists / "test.txt", idList(records, Split::Test));
  return summary;
}

}  // namespace wsss
