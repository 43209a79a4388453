#include <catch2/catch.hpp>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "data/data_check.h"
#include "data/label_png.h"
#include "test_helpers.h"

namespace fs = std::filesystem;
using wsss::ProblemKind;
using wsss::test::TempDir;
using wsss::test::writeText;

namespace {

constexpr int kWidth = 32;
constexpr int kHeight = 24;

// A VOC folder where every image starts intact (image, mask, XML, saliency map, a click)
// and single files are then broken on purpose.
class CheckedVoc {
 public:
  CheckedVoc() : dir_("data_check") {}
  fs::path root() const { return dir_.path(); }
  fs::path imageFile(const std::string& id) const { return root() / "JPEGImages" / (id + ".jpg"); }
  fs::path maskFile(const std::string& id) const {
    return root() / "SegmentationClassAug" / (id + ".png");
  }
  fs::path xmlFile(const std::string& id) const { return root() / "Annotations" / (id + ".xml"); }
  fs::path saliencyFile(const std::string& id) const {
    return root() / "SALImages" / (id + ".png");
  }

  void addIntact(const std::string& id, uint8_t objectClass = 12, bool clicked = true) {
    fs::create_directories(imageFile(id).parent_path());
    fs::create_directories(saliencyFile(id).parent_path());
    REQUIRE(cv::imwrite(imageFile(id).string(),
                        cv::Mat(kHeight, kWidth, CV_8UC3, cv::Scalar(20, 120, 220))));
    writeMask(id, objectClass, kWidth, kHeight);
    writeXml(id, {"horse"});
    REQUIRE(
        cv::imwrite(saliencyFile(id).string(), cv::Mat(kHeight, kWidth, CV_8UC1, cv::Scalar(128))));
    if (!clicked) return;
    points_ += std::string(points_.empty() ? "" : ",\n") + "\"" + id +
               "\": [{\"x\": 4, \"y\": 5, \"rank\": 1, \"cls\": 13}]";
  }

  void writeMask(const std::string& id, uint8_t objectClass, int width, int height) const {
    cv::Mat labels(height, width, CV_8UC1, cv::Scalar(0));
    labels(cv::Rect(2, 2, 6, 6)).setTo(objectClass);
    wsss::writeLabelPng(maskFile(id).string(), labels);
  }

  void writeXml(const std::string& id, const std::vector<std::string>& objects) const {
    std::string text = "<annotation><filename>" + id + ".jpg</filename>";
    for (const auto& name : objects) text += "<object><name>" + name + "</name></object>";
    writeText(xmlFile(id), text + "</annotation>\n");
  }

  void addPoint(const std::string& id, double x, double y, int cls) {
    points_ += ",\n\"" + id + "\": [{\"x\": " + std::to_string(x) +
               ", \"y\": " + std::to_string(y) + ", \"rank\": 1, \"cls\": " + std::to_string(cls) +
               "}]";
  }

  void split(const std::string& name, const std::vector<std::string>& ids) const {
    std::string text;
    for (const auto& id : ids) text += id + "\n";
    writeText(root() / "ImageSets" / "Segmentation" / (name + ".txt"), text);
  }

  // The options of a run whose methods read saliency maps and clicks.
  wsss::DataOptions options() const {
    writeText(root() / "points.json", "{\n" + points_ + "\n}\n");
    wsss::DataOptions options;
    options.root = root().string();
    options.labelSource = wsss::LabelSource::Xml;
    options.needs.saliencyFor = "aamr";
    options.needs.pointsFor = "pointsup";
    options.workers = 3;
    return options;
  }

 private:
  TempDir dir_;
  std::string points_;
};

void truncate(const fs::path& file) {
  const std::string bytes = wsss::test::readText(file);
  writeText(file, bytes.substr(0, bytes.size() / 2));
}

}  // namespace

TEST_CASE("data-check on an intact dataset is clean", "[data_check]") {
  CheckedVoc voc;
  for (const char* id : {"a", "b", "c"}) voc.addIntact(id);
  voc.split("train", {"a", "b"});
  voc.split("val", {"b", "c"});
  const wsss::DataCheckReport report = wsss::checkDataset(voc.options(), {"train", "val"});
  CHECK(report.clean());
  CHECK(report.totalProblems() == 0);
  REQUIRE(report.splits.size() == 2);
  CHECK(report.splits[0].name == "train");
  CHECK(report.splits[0].images == 2);
  CHECK(report.splits[1].name == "val");
  CHECK(report.splits[1].images == 2);
  CHECK(report.imagesChecked == 3);  // b is read once
  const std::string text = wsss::formatDataCheckReport(report);
  CHECK(text.find("train: 2 images, saliency maps (aamr), clicks (pointsup)") != std::string::npos);
  CHECK(text.find("not checked") == std::string::npos);
  CHECK(text.find("clean: no problems in 3 images") != std::string::npos);
}

TEST_CASE("data-check reports one planted fault of each kind", "[data_check]") {
  CheckedVoc voc;
  const std::vector<std::string> ids = {"ok",        "no_image",      "bad_image",   "no_mask",
                                        "bad_mask",  "wrong_size",    "mask_value",  "xml_name",
                                        "point_cls", "point_outside", "no_saliency", "bad_saliency",
                                        "no_xml",    "empty_xml",     "twice",       "no_clicks"};
  for (const auto& id : ids) voc.addIntact(id, 12, id != "no_clicks");

  fs::remove(voc.imageFile("no_image"));
  truncate(voc.imageFile("bad_image"));
  fs::remove(voc.maskFile("no_mask"));
  truncate(voc.maskFile("bad_mask"));
  voc.writeMask("wrong_size", 12, kWidth + 1, kHeight);
  voc.writeMask("mask_value", 40, kWidth, kHeight);
  voc.writeXml("xml_name", {"horse", "dragon"});
  voc.addPoint("point_cls", 3, 3, 33);
  voc.addPoint("point_outside", 3, kHeight + 4, 13);
  fs::remove(voc.saliencyFile("no_saliency"));
  truncate(voc.saliencyFile("bad_saliency"));
  fs::remove(voc.xmlFile("no_xml"));
  voc.writeXml("empty_xml", {});

  std::vector<std::string> train = ids;
  train.push_back("twice");
  voc.split("train", train);
  voc.split("val", {"ok"});

  const wsss::DataCheckReport report =
      wsss::checkDataset(voc.options(), {"train", "val", "missing"});
  CHECK_FALSE(report.clean());
  CHECK(report.imagesChecked == ids.size());

  using Ids = std::vector<std::string>;
  CHECK(report.ids(ProblemKind::MissingSplit) == Ids{"missing"});
  CHECK(report.ids(ProblemKind::DuplicateId) == Ids{"twice"});
  CHECK(report.ids(ProblemKind::MissingImage) == Ids{"no_image"});
  CHECK(report.ids(ProblemKind::UnreadableImage) == Ids{"bad_image"});
  CHECK(report.ids(ProblemKind::MissingMask) == Ids{"no_mask"});
  CHECK(report.ids(ProblemKind::UnreadableMask) == Ids{"bad_mask"});
  CHECK(report.ids(ProblemKind::SizeMismatch) == Ids{"wrong_size"});
  CHECK(report.ids(ProblemKind::LabelOutOfRange) == Ids{"mask_value", "xml_name", "point_cls"});
  CHECK(report.ids(ProblemKind::PointOutsideImage) == Ids{"point_outside"});
  CHECK(report.ids(ProblemKind::MissingClicks) == Ids{"no_clicks"});
  CHECK(report.ids(ProblemKind::MissingSaliency) == Ids{"no_saliency"});
  CHECK(report.ids(ProblemKind::UnreadableSaliency) == Ids{"bad_saliency"});
  CHECK(report.ids(ProblemKind::MissingAnnotation) == Ids{"no_xml"});
  CHECK(report.ids(ProblemKind::NoLabels) == Ids{"empty_xml"});
  CHECK(report.count(ProblemKind::LabelOutOfRange) == 3);
  CHECK(report.count(ProblemKind::UnreadableAnnotation) == 0);
  CHECK(report.problems.size() == 14);
  CHECK(report.totalProblems() == 16);

  const auto& mismatch = report.problems.at(ProblemKind::SizeMismatch).front();
  CHECK(mismatch.file == voc.maskFile("wrong_size").string());
  CHECK(mismatch.detail.find("33x24") != std::string::npos);
  CHECK(report.problems.at(ProblemKind::UnreadableImage).front().file ==
        voc.imageFile("bad_image").string());

  const std::string text = wsss::formatDataCheckReport(report);
  CHECK(text.find("missing: 0 images") != std::string::npos);
  CHECK(text.find("label_out_of_range: 3 (mask_value, xml_name, point_cls)") != std::string::npos);
  CHECK(text.find("missing_image: 1 (no_image)") != std::string::npos);
  CHECK(text.find("missing_clicks: 1 (no_clicks)") != std::string::npos);
  CHECK(text.find("NOT clean: 16 problems") != std::string::npos);
  CHECK(text.find("clean: no problems") == std::string::npos);
}

TEST_CASE("data-check lists the first 20 ids of a kind", "[data_check]") {
  CheckedVoc voc;
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i) ids.push_back("ghost" + std::to_string(100 + i));
  voc.split("test", ids);
  wsss::DataOptions options = voc.options();
  options.needs = {};
  options.labelSource = wsss::LabelSource::Auto;
  const wsss::DataCheckReport report = wsss::checkDataset(options, {"test"});
  CHECK(report.count(ProblemKind::MissingImage) == 25);
  CHECK(report.problems.size() == 1);  // image-only split: no mask or label problems
  const std::string text = wsss::formatDataCheckReport(report);
  CHECK(text.find("missing_image: 25 (ghost100, ghost101") != std::string::npos);
  CHECK(text.find("ghost119, and 5 more)") != std::string::npos);
  CHECK(text.find("ghost120") == std::string::npos);
}

TEST_CASE("data-check leaves saliency maps and clicks alone where no method reads them",
          "[data_check]") {
  CheckedVoc voc;
  for (const char* id : {"a", "b", "c"}) voc.addIntact(id);
  voc.split("train", {"a", "b"});
  voc.split("val", {"c"});
  wsss::DataOptions withNeeds = voc.options();
  fs::remove(voc.saliencyFile("a"));
  fs::remove(voc.saliencyFile("c"));
  fs::remove(voc.root() / "points.json");
  wsss::DataOptions without = withNeeds;
  without.needs = {};

  SECTION("no method reads them: clean, and the report says they were not checked") {
    const wsss::DataCheckReport report = wsss::checkDataset(without, {"train", "val"});
    CHECK(report.clean());
    const std::string text = wsss::formatDataCheckReport(report);
    CHECK(text.find("saliency maps: not checked, no method of the run reads them") !=
          std::string::npos);
    CHECK(text.find("clicks: not checked, no method of the run reads them") != std::string::npos);
  }
  SECTION("the training split reads what its methods need, the others do not") {
    wsss::DataOptions saliencyOnly = without;
    saliencyOnly.needs.saliencyFor = "aamr";
    const wsss::DataCheckReport report =
        wsss::checkDataset({{"train", saliencyOnly}, {"val", without}});
    CHECK(report.ids(ProblemKind::MissingSaliency) == std::vector<std::string>{"a"});
    CHECK(report.totalProblems() == 1);
    const auto& missing = report.problems.at(ProblemKind::MissingSaliency).front();
    CHECK(missing.file == voc.saliencyFile("a").string());
    CHECK(missing.detail.find("aamr reads saliency maps") != std::string::npos);
    const std::string text = wsss::formatDataCheckReport(report);
    CHECK(text.find("train: 2 images, saliency maps (aamr)\n") != std::string::npos);
    CHECK(text.find("val: 1 images\n") != std::string::npos);
    CHECK(text.find("saliency maps: not checked") == std::string::npos);
    CHECK(text.find("clicks: not checked") != std::string::npos);
  }
  SECTION("a method that reads clicks finds the points file missing") {
    const wsss::DataCheckReport report = wsss::checkDataset(withNeeds, {"train"});
    CHECK(report.ids(ProblemKind::MissingPoints) == std::vector<std::string>{"train"});
    const auto& missing = report.problems.at(ProblemKind::MissingPoints).front();
    CHECK(missing.file == (voc.root() / "points.json").string());
    CHECK(missing.detail.find("pointsup reads clicks") != std::string::npos);
  }
}
