#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/label_png.h"
#include "data/voc_classes.h"
#include "data/voc_dataset.h"
#include "test_helpers.h"

namespace fs = std::filesystem;
using wsss::test::TempDir;
using wsss::test::writeText;

namespace {

// A hand-made VOC folder in a scratch directory.
class TinyVoc {
 public:
  TinyVoc() : dir_("voc") {}
  const fs::path& root() const { return dir_.path(); }

  wsss::DataOptions options() const {
    wsss::DataOptions options;
    options.root = root().string();
    return options;
  }

  // A JPEG whose left half is red and right half blue.
  fs::path image(const std::string& id, int width = 40, int height = 30) const {
    cv::Mat bgr(height, width, CV_8UC3, cv::Scalar(0, 0, 255));
    bgr(cv::Rect(width / 2, 0, width - width / 2, height)).setTo(cv::Scalar(255, 0, 0));
    const fs::path file = root() / "JPEGImages" / (id + ".jpg");
    fs::create_directories(file.parent_path());
    REQUIRE(cv::imwrite(file.string(), bgr));
    return file;
  }

  // A mask of `fill` with a block of `object` in the middle.
  fs::path mask(const std::string& id, uint8_t fill, uint8_t object, int width = 40,
                int height = 30, const std::string& folder = "SegmentationClassAug") const {
    cv::Mat labels(height, width, CV_8UC1, cv::Scalar(fill));
    labels(cv::Rect(width / 4, height / 4, width / 2, height / 2)).setTo(object);
    labels.at<uint8_t>(0, 0) = 255;
    const fs::path file = root() / folder / (id + ".png");
    wsss::writeLabelPng(file.string(), labels);
    return file;
  }

  fs::path xml(const std::string& id, const std::vector<std::string>& objects) const {
    std::string text = "<?xml version=\"1.0\"?>\n<annotation>\n  <filename>" + id +
                       ".jpg</filename>\n  <size><width>40</width><height>30</height></size>\n";
    for (const std::string& name : objects) {
      text += "  <object>\n    <name> " + name + " </name>\n    <difficult>1</difficult>\n";
      if (name == "person") {
        text += "    <part><name>head</name><bndbox><xmin>1</xmin></bndbox></part>\n";
        text += "    <part>\n      <name>hand</name>\n    </part>\n";
      }
      text += "  </object>\n";
    }
    text += "</annotation>\n";
    const fs::path file = root() / "Annotations" / (id + ".xml");
    writeText(file, text);
    return file;
  }

  fs::path split(const std::string& name, const std::string& text) const {
    const fs::path file = root() / "ImageSets" / "Segmentation" / (name + ".txt");
    writeText(file, text);
    return file;
  }

 private:
  TempDir dir_;
};

std::string errorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const wsss::Error& error) {
    return error.what();
  }
  FAIL("expected a wsss::Error");
  return "";
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<uint8_t> labelsOf(std::initializer_list<int> present, size_t numClasses = 20) {
  std::vector<uint8_t> labels(numClasses, 0);
  for (int c : present) labels[static_cast<size_t>(c)] = 1;
  return labels;
}

}  // namespace

TEST_CASE("the VOC class list", "[voc]") {
  const auto& names = wsss::vocClassNames();
  REQUIRE(names.size() == 20);
  CHECK(names.front() == "aeroplane");
  CHECK(names[14] == "person");
  CHECK(names.back() == "tvmonitor");
}

TEST_CASE("labels from XML ignore person parts and keep difficult objects", "[voc]") {
  TinyVoc voc;
  voc.image("a");
  voc.mask("a", 0, 15);
  voc.xml("a", {"person", "dog", "person"});
  voc.split("train", "a\n");
  wsss::DataOptions options = voc.options();
  options.labelSource = wsss::LabelSource::Xml;
  wsss::VocDataset dataset(options, "train");
  REQUIRE(dataset.size() == 1);
  CHECK(dataset.numClasses() == 20);
  CHECK(dataset.hasMasks());
  const wsss::Sample sample = dataset.load(0);
  CHECK(sample.id == "a");
  CHECK(sample.labels == labelsOf({11, 14}));  // dog, person; no "head" or "hand"
  REQUIRE(sample.image.type() == CV_8UC3);
  CHECK(sample.image.size() == cv::Size(40, 30));
  const cv::Vec3b left = sample.image.at<cv::Vec3b>(15, 5);
  CHECK(left[0] > 200);  // red comes first: RGB order
  CHECK(left[2] < 60);
  REQUIRE(sample.mask.type() == CV_8UC1);
  CHECK(sample.mask.at<uint8_t>(15, 20) == 15);
  CHECK(sample.mask.at<uint8_t>(0, 0) == 255);
  CHECK(sample.saliency.empty());
  CHECK(sample.points.empty());
}

TEST_CASE("labels from the mask leave out background and void", "[voc]") {
  TinyVoc voc;
  voc.image("a");
  voc.mask("a", 1, 15);  // aeroplane everywhere but a person block, 255 in a corner
  voc.xml("a", {"dog"});
  voc.split("train", "a\n");
  wsss::DataOptions options = voc.options();
  options.labelSource = wsss::LabelSource::Mask;
  CHECK(wsss::VocDataset(options, "train").load(0).labels == labelsOf({0, 14}));
  options.labelSource = wsss::LabelSource::Auto;  // the XML wins where it exists
  CHECK(wsss::VocDataset(options, "train").load(0).labels == labelsOf({11}));
}

TEST_CASE("auto labels fall back to the mask without XML", "[voc]") {
  TinyVoc voc;
  voc.image("with_xml");
  voc.image("without_xml");
  voc.mask("with_xml", 0, 3);
  voc.mask("without_xml", 0, 7, 40, 30, "SegmentationClass");  // the second mask folder
  voc.xml("with_xml", {"cat"});
  voc.split("train", "with_xml\nwithout_xml\n");
  wsss::VocDataset dataset(voc.options(), "train");
  CHECK(dataset.load(0).labels == labelsOf({7}));
  CHECK(dataset.load(1).labels == labelsOf({6}));
  CHECK(dataset.maskPath("without_xml") ==
        (voc.root() / "SegmentationClass" / "without_xml.png").string());

  wsss::DataOptions xmlOnly = voc.options();
  xmlOnly.labelSource = wsss::LabelSource::Xml;
  const std::string message = errorOf([&] { wsss::VocDataset(xmlOnly, "train").load(1); });
  CHECK(mentions(message, "without_xml"));
  CHECK(mentions(message, "missing_annotation"));
  CHECK(mentions(message, (voc.root() / "Annotations" / "without_xml.xml").string()));
}

TEST_CASE("the class list option and classes.txt", "[voc]") {
  TinyVoc voc;
  voc.image("a");
  voc.mask("a", 0, 2);
  voc.xml("a", {"dog"});
  voc.split("train", "a\n");

  writeText(voc.root() / "classes.txt", "cat\n\n  dog \r\n");
  wsss::VocDataset fromFile(voc.options(), "train");
  CHECK(fromFile.numClasses() == 2);
  CHECK(fromFile.classNames() == std::vector<std::string>{"cat", "dog"});
  CHECK(fromFile.load(0).labels == labelsOf({1}, 2));

  wsss::DataOptions options = voc.options();
  options.classes = {"dog", "cat", "bird"};
  wsss::VocDataset fromOption(options, "train");
  CHECK(fromOption.classNames() == options.classes);
  CHECK(fromOption.load(0).labels == labelsOf({0}, 3));
  options.labelSource = wsss::LabelSource::Mask;
  CHECK(wsss::VocDataset(options, "train").load(0).labels == labelsOf({1}, 3));

  options.classes = {"dog", "dog"};
  CHECK(mentions(errorOf([&] { wsss::resolveClassNames(options); }), "twice"));
}

TEST_CASE("a class name outside the list is an error", "[voc]") {
  TinyVoc voc;
  voc.image("a");
  voc.mask("a", 0, 1);
  const fs::path xml = voc.xml("a", {"aeroplane", "unicorn"});
  voc.split("train", "a\n");
  const std::string message = errorOf([&] { wsss::VocDataset(voc.options(), "train").load(0); });
  CHECK(mentions(message, "image a "));
  CHECK(mentions(message, xml.string()));
  CHECK(mentions(message, "'unicorn'"));
}

TEST_CASE("a mask value above the class count is an error", "[voc]") {
  TinyVoc voc;
  voc.image("a");
  const fs::path mask = voc.mask("a", 0, 21);
  voc.split("train", "a\n");
  wsss::DataOptions options = voc.options();
  options.labelSource = wsss::LabelSource::Mask;
  const std::string message = errorOf([&] { wsss::VocDataset(options, "train").load(0); });
  CHECK(mentions(message, "image a "));
  CHECK(mentions(message, mask.string()));
  CHECK(mentions(message, "value(s) 21 "));
  CHECK(mentions(message, "label_out_of_range"));
}

TEST_CASE("a split without masks is image-only - a gap in a split with masks is not", "[voc]") {
  TinyVoc voc;
  voc.image("t1");
  voc.image("t2");
  voc.split("test", "t1\nt2\n");
  wsss::VocDataset test(voc.options(), "test");
  CHECK_FALSE(test.hasMasks());
  CHECK(test.maskPath("t1").empty());
  const wsss::Sample sample = test.load(1);
  CHECK(sample.mask.empty());
  CHECK(sample.image.size() == cv::Size(40, 30));
  CHECK(sample.labels == labelsOf({}));

  voc.mask("t1", 0, 5);
  wsss::VocDataset mixed(voc.options(), "test");
  CHECK(mixed.hasMasks());
  CHECK_NOTHROW(mixed.load(0));
  const std::string message = errorOf([&] { mixed.load(1); });
  CHECK(mentions(message, "image t2 "));
  CHECK(mentions(message, "missing_mask"));
}

TEST_CASE("split lists", "[voc]") {
  TinyVoc voc;
  SECTION("a missing split file is named") {
    voc.split("train", "a\n");
    const std::string message = errorOf([&] { wsss::VocDataset(voc.options(), "val"); });
    CHECK(mentions(message, (voc.root() / "ImageSets" / "Segmentation" / "val.txt").string()));
    CHECK(mentions(message, "train"));  // the splits that do exist
  }
  SECTION("whitespace, CR, blank lines and the classification format") {
    voc.split("train", "  a \r\n\n2008_000002  1\r\nc\t-1\n\n");
    wsss::VocDataset dataset(voc.options(), "train");
    CHECK(dataset.ids() == std::vector<std::string>{"a", "2008_000002", "c"});
    CHECK(dataset.id(1) == "2008_000002");
    CHECK(dataset.split() == "train");
    CHECK_THROWS_AS(dataset.id(3), wsss::Error);
  }
  SECTION("duplicate ids are an error") {
    const fs::path file = voc.split("train", "a\nb\na\n");
    const std::string message = errorOf([&] { wsss::VocDataset(voc.options(), "train"); });
    CHECK(mentions(message, file.string()));
    CHECK(mentions(message, ": a "));
  }
}

TEST_CASE("saliency maps are loaded and checked against the image size", "[voc]") {
  TinyVoc voc;
  voc.image("a");
  voc.image("b");
  voc.mask("a", 0, 1);
  voc.mask("b", 0, 1);
  voc.split("train", "a\nb\n");
  fs::create_directories(voc.root() / "SALImages");
  cv::Mat saliency(30, 40, CV_8UC1, cv::Scalar(0));
  saliency(cv::Rect(10, 5, 10, 10)).setTo(200);
  REQUIRE(cv::imwrite((voc.root() / "SALImages" / "a.png").string(), saliency));
  REQUIRE(cv::imwrite((voc.root() / "SALImages" / "b.png").string(), cv::Mat(20, 40, CV_8UC1)));

  wsss::DataOptions options = voc.options();
  CHECK(wsss::VocDataset(options, "train").load(0).saliency.empty());  // no method reads them
  options.needs.saliencyFor = "aamr";
  wsss::VocDataset dataset(options, "train");
  const wsss::Sample sample = dataset.load(0);
  REQUIRE(sample.saliency.type() == CV_8UC1);
  CHECK(sample.saliency.at<uint8_t>(10, 15) == 200);
  CHECK(sample.saliency.at<uint8_t>(0, 0) == 0);

  const std::string message = errorOf([&] { dataset.load(1); });
  CHECK(mentions(message, "image b "));
  CHECK(mentions(message, dataset.saliencyPath("b")));
  CHECK(mentions(message, dataset.imagePath("b")));
  CHECK(mentions(message, "40x20"));
}

TEST_CASE("a missing saliency map is an error naming the image, the file and the method", "[voc]") {
  TinyVoc voc;
  voc.image("a");
  voc.mask("a", 0, 1);
  voc.split("train", "a\n");
  wsss::DataOptions options = voc.options();
  CHECK_NOTHROW(wsss::VocDataset(options, "train").load(0));  // read by no method: not missed
  options.needs.saliencyFor = "aamr";
  wsss::VocDataset dataset(options, "train");
  const std::string message = errorOf([&] { dataset.load(0); });
  CHECK(mentions(message, "image a "));
  CHECK(mentions(message, "missing_saliency"));
  CHECK(mentions(message, "aamr reads saliency maps, but " + dataset.saliencyPath("a")));
  CHECK(mentions(message, "data.saliency_dir"));
}

TEST_CASE("saliency maps come from data.saliency_dir, under the root unless absolute", "[voc]") {
  TinyVoc voc;
  voc.image("a");
  voc.mask("a", 0, 1);
  voc.split("train", "a\n");
  const auto writeMap = [](const fs::path& folder, uint8_t value) {
    fs::create_directories(folder);
    REQUIRE(cv::imwrite((folder / "a.png").string(), cv::Mat(30, 40, CV_8UC1, cv::Scalar(value))));
  };
  writeMap(voc.root() / "SALImages", 10);
  writeMap(voc.root() / "PoolNet", 20);
  const TempDir elsewhere("saliency_elsewhere");
  writeMap(elsewhere.path(), 30);
  wsss::DataOptions options = voc.options();
  options.needs.saliencyFor = "aamr";
  CHECK(options.saliencyDir == "SALImages");
  CHECK(wsss::VocDataset(options, "train").load(0).saliency.at<uint8_t>(0, 0) == 10);
  options.saliencyDir = "PoolNet";
  CHECK(wsss::VocDataset(options, "train").load(0).saliency.at<uint8_t>(0, 0) == 20);
  options.saliencyDir = elsewhere.path().string();
  CHECK(wsss::VocDataset(options, "train").load(0).saliency.at<uint8_t>(0, 0) == 30);
}

TEST_CASE("a mask of another size than its image is an error naming both", "[voc]") {
  TinyVoc voc;
  voc.image("a");
  const fs::path mask = voc.mask("a", 0, 1, 41, 30);
  voc.split("train", "a\n");
  wsss::VocDataset dataset(voc.options(), "train");
  const std::string message = errorOf([&] { dataset.load(0); });
  CHECK(mentions(message, mask.string()));
  CHECK(mentions(message, dataset.imagePath("a")));
  CHECK(mentions(message, "size_mismatch"));
}

TEST_CASE("points are read once and checked per image", "[voc]") {
  TinyVoc voc;
  for (const char* id : {"a", "b", "c", "d", "e"}) {
    voc.image(id);
    voc.mask(id, 0, 1);
  }
  voc.split("train", "a\nb\nc\nd\ne\n");
  writeText(voc.root() / "clicks.json", R"({
    "a": [{"x": 3.5, "y": 7, "rank": 2, "cls": 15}, {"x": 0, "y": 29, "cls": 0}],
    "b": [{"x": 5, "y": 5, "rank": 1, "cls": 21}],
    "c": [{"x": 40, "y": 5, "rank": 1, "cls": 1}],
    "d": null
  })");
  wsss::DataOptions options = voc.options();
  options.needs.pointsFor = "a point method";
  options.pointsFile = "clicks.json";
  wsss::VocDataset dataset(options, "train");
  CHECK(dataset.readsPoints());

  const wsss::Sample a = dataset.load(0);
  REQUIRE(a.points.size() == 2);
  CHECK(a.points[0].x == Approx(3.5));
  CHECK(a.points[0].y == Approx(7));
  CHECK(a.points[0].rank == 2);
  CHECK(a.points[0].cls == 15);
  CHECK(a.points[1].rank == 1);
  CHECK(a.points[1].cls == 0);

  const std::string badClass = errorOf([&] { dataset.load(1); });
  CHECK(mentions(badClass, "image b "));
  CHECK(mentions(badClass, "cls 21"));
  CHECK(mentions(badClass, "label_out_of_range"));

  const std::string outside = errorOf([&] { dataset.load(2); });
  CHECK(mentions(outside, "image c "));
  CHECK(mentions(outside, "point_outside_image"));

  CHECK(dataset.load(3).points.empty());  // null: seen, nothing clicked

  // An image of the split with no entry: the file does not cover the split.
  const std::string missing = errorOf([&] { dataset.load(4); });
  CHECK(mentions(missing, "image e "));
  CHECK(mentions(missing, "clicks.json"));
  CHECK(mentions(missing, "missing_clicks"));
  CHECK(mentions(missing, "a point method"));

  // Changing the file after opening does not matter: it was read once.
  writeText(voc.root() / "clicks.json", "{ broken");
  CHECK(dataset.load(0).points.size() == 2);
  CHECK(mentions(errorOf([&] { wsss::VocDataset(options, "train"); }), "clicks.json"));

  // An absolute points file ignores the root.
  const fs::path elsewhere = voc.root() / "other" / "p.json";
  writeText(elsewhere, R"({"d": [{"x": 1, "y": 2, "rank": 1, "cls": 3}]})");
  options.pointsFile = elsewhere.string();
  CHECK(wsss::VocDataset(options, "train").load(3).points.size() == 1);
}

TEST_CASE("clicks are read only for a method that uses them, and their file must exist", "[voc]") {
  TinyVoc voc;
  voc.image("a");
  voc.mask("a", 0, 1);
  voc.split("train", "a\n");
  wsss::DataOptions options = voc.options();
  options.pointsFile = "clicks.json";
  // Read by no method: neither a missing nor a broken file matters.
  const wsss::VocDataset unread(options, "train");
  CHECK_FALSE(unread.readsPoints());
  CHECK(unread.load(0).points.empty());
  writeText(voc.root() / "clicks.json", "{ broken");
  CHECK_NOTHROW(wsss::VocDataset(options, "train").load(0));
  fs::remove(voc.root() / "clicks.json");

  options.needs.pointsFor = "pointsup";
  const std::string message = errorOf([&] { wsss::VocDataset(options, "train"); });
  CHECK(mentions(message, "pointsup reads clicks, but the points file " +
                              (voc.root() / "clicks.json").string() + " does not exist"));
  std::vector<wsss::DataProblem> problems;
  const wsss::VocDataset checked(options, "train", problems);
  REQUIRE(problems.size() == 1);
  CHECK(problems.front().kind == wsss::ProblemKind::MissingPoints);
  CHECK(problems.front().file == (voc.root() / "clicks.json").string());
  CHECK(std::string(wsss::problemKindName(wsss::ProblemKind::MissingPoints)) == "missing_points");
}

TEST_CASE("a truncated JPEG is detected", "[voc]") {
  TinyVoc voc;
  const fs::path image = voc.image("a", 64, 48);
  voc.split("test", "a\n");
  const std::string bytes = wsss::test::readText(image);
  writeText(image, bytes.substr(0, bytes.size() / 2));
  const std::string message = errorOf([&] { wsss::VocDataset(voc.options(), "test").load(0); });
  CHECK(mentions(message, "image a "));
  CHECK(mentions(message, image.string()));
  CHECK(mentions(message, "truncated"));
}

TEST_CASE("a missing image is an error naming the file", "[voc]") {
  TinyVoc voc;
  voc.split("test", "ghost\n");
  wsss::VocDataset dataset(voc.options(), "test");
  const std::string message = errorOf([&] { dataset.load(0); });
  CHECK(mentions(message, "missing_image"));
  CHECK(mentions(message, dataset.imagePath("ghost")));
}
