#include <catch2/catch.hpp>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "core/error.h"
#include "data/image_io.h"
#include "data/label_png.h"
#include "test_helpers.h"

namespace fs = std::filesystem;
using wsss::test::TempDir;

namespace {

// A label map with every index 0..20 and the void value 255.
cv::Mat sampleLabels() {
  cv::Mat labels(37, 53, CV_8UC1);
  for (int y = 0; y < labels.rows; ++y) {
    for (int x = 0; x < labels.cols; ++x) {
      labels.at<uint8_t>(y, x) =
          static_cast<uint8_t>((x + 3 * y) % 22 == 21 ? 255 : (x + 3 * y) % 22);
    }
  }
  return labels;
}

bool sameMat(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(a != b) == 0;
}

void truncateFile(const fs::path& file, double keep) {
  const std::string bytes = wsss::test::readText(file);
  wsss::test::writeText(file, bytes.substr(0, static_cast<size_t>(bytes.size() * keep)));
}

}  // namespace

TEST_CASE("vocPalette holds the standard VOC colours", "[label_png]") {
  const wsss::Palette& palette = wsss::vocPalette();
  REQUIRE(palette.size() == 256);
  CHECK(palette[0] == std::array<uint8_t, 3>{0, 0, 0});
  CHECK(palette[1] == std::array<uint8_t, 3>{128, 0, 0});
  CHECK(palette[2] == std::array<uint8_t, 3>{0, 128, 0});
  CHECK(palette[15] == std::array<uint8_t, 3>{192, 128, 128});
  CHECK(palette[255] == std::array<uint8_t, 3>{224, 224, 192});
}

TEST_CASE("palette PNG round trip keeps every index", "[label_png]") {
  TempDir dir("label_png");
  const std::string path = (dir / "masks" / "a.png").string();
  const cv::Mat labels = sampleLabels();
  wsss::writeLabelPng(path, labels);
  CHECK_FALSE(fs::exists(path + ".tmp"));

  const cv::Mat back = wsss::readLabelPng(path);
  CHECK(sameMat(back, labels));
  CHECK(back.at<uint8_t>(0, 21) == 255);

  // The file is a palette PNG: a colour reader sees the VOC colours, not the indices.
  const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  REQUIRE(bgr.type() == CV_8UC3);
  CHECK(bgr.at<cv::Vec3b>(0, 1) == cv::Vec3b(0, 0, 128));       // index 1: RGB 128,0,0
  CHECK(bgr.at<cv::Vec3b>(0, 21) == cv::Vec3b(192, 224, 224));  // index 255: void
}

TEST_CASE("palette PNG with a custom palette", "[label_png]") {
  TempDir dir("label_png");
  const std::string path = (dir / "custom.png").string();
  cv::Mat labels(4, 4, CV_8UC1, cv::Scalar(2));
  labels.at<uint8_t>(0, 0) = 0;
  labels.at<uint8_t>(1, 1) = 255;
  wsss::writeLabelPng(path, labels, {{10, 20, 30}, {40, 50, 60}, {70, 80, 90}});
  CHECK(sameMat(wsss::readLabelPng(path), labels));
  const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  CHECK(bgr.at<cv::Vec3b>(0, 1) == cv::Vec3b(90, 80, 70));
  CHECK(bgr.at<cv::Vec3b>(0, 0) == cv::Vec3b(30, 20, 10));
  // Indices past the given palette keep the VOC colours.
  CHECK(bgr.at<cv::Vec3b>(1, 1) == cv::Vec3b(192, 224, 224));
}

TEST_CASE("grey 8-bit PNG is read as indices", "[label_png]") {
  TempDir dir("label_png");
  const std::string path = (dir / "grey.png").string();
  const cv::Mat labels = sampleLabels();
  REQUIRE(cv::imwrite(path, labels));
  CHECK(sameMat(wsss::readLabelPng(path), labels));
}

TEST_CASE("RGB PNG is mapped back through the VOC palette", "[label_png]") {
  TempDir dir("label_png");
  const std::string path = (dir / "colour.png").string();
  const cv::Mat labels = sampleLabels();
  cv::Mat bgr(labels.size(), CV_8UC3);
  for (int y = 0; y < labels.rows; ++y) {
    for (int x = 0; x < labels.cols; ++x) {
      const auto& rgb = wsss::vocPalette()[labels.at<uint8_t>(y, x)];
      bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(rgb[2], rgb[1], rgb[0]);
    }
  }
  REQUIRE(cv::imwrite(path, bgr));
  CHECK(sameMat(wsss::readLabelPng(path), labels));

  bgr.at<cv::Vec3b>(2, 3) = cv::Vec3b(1, 2, 3);
  REQUIRE(cv::imwrite(path, bgr));
  try {
    wsss::readLabelPng(path);
    FAIL("an unknown colour must be an error");
  } catch (const wsss::Error& error) {
    const std::string message = error.what();
    CHECK(message.find(path) != std::string::npos);
    CHECK(message.find("(3, 2, 1)") != std::string::npos);
    CHECK(message.find("x 3, y 2") != std::string::npos);
  }
}

TEST_CASE("broken label PNGs are errors naming the file", "[label_png]") {
  TempDir dir("label_png");
  const std::string path = (dir / "broken.png").string();
  auto expectError = [&](const std::string& expected) {
    try {
      wsss::readLabelPng(path);
      FAIL("expected an error mentioning " << expected);
    } catch (const wsss::Error& error) {
      const std::string message = error.what();
      CHECK(message.find(path) != std::string::npos);
      CHECK(message.find(expected) != std::string::npos);
    }
  };

  SECTION("missing") { expectError("does not exist"); }
  SECTION("empty") {
    wsss::test::writeText(path, "");
    expectError("empty");
  }
  SECTION("truncated") {
    wsss::writeLabelPng(path, sampleLabels());
    truncateFile(path, 0.5);
    expectError("truncated");
  }
  SECTION("not a PNG") {
    REQUIRE(cv::imwrite((dir / "x.jpg").string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(1, 2, 3))));
    fs::copy_file(dir / "x.jpg", path);
    expectError("is not a PNG");
  }
  SECTION("corrupt data with an intact ending") {
    wsss::writeLabelPng(path, sampleLabels());
    std::string bytes = wsss::test::readText(path);
    const size_t data = bytes.find("IDAT");
    REQUIRE(data != std::string::npos);
    for (size_t i = data + 6; i < data + 16; ++i) bytes[i] = static_cast<char>(~bytes[i]);
    wsss::test::writeText(path, bytes);
    expectError("cannot be decoded");
  }
}

TEST_CASE("writeLabelPng rejects what is not an index image", "[label_png]") {
  TempDir dir("label_png");
  CHECK_THROWS_AS(wsss::writeLabelPng((dir / "a.png").string(), cv::Mat(2, 2, CV_8UC3)),
                  wsss::Error);
  CHECK_THROWS_AS(wsss::writeLabelPng((dir / "b.png").string(), cv::Mat()), wsss::Error);
  CHECK_FALSE(fs::exists(dir / "a.png"));
}

TEST_CASE("findTruncation spots cut JPEG and PNG files", "[label_png][image_io]") {
  TempDir dir("image_io");
  const std::string jpeg = (dir / "a.jpg").string();
  REQUIRE(cv::imwrite(jpeg, cv::Mat(16, 16, CV_8UC3, cv::Scalar(10, 200, 30))));
  std::vector<uint8_t> bytes = wsss::readFileBytes(jpeg);
  CHECK(wsss::findTruncation(bytes).empty());
  bytes.push_back(0);
  bytes.push_back('\n');
  CHECK(wsss::findTruncation(bytes).empty());  // trailing padding is tolerated
  bytes.resize(bytes.size() / 2);
  CHECK(wsss::findTruncation(bytes).find("FFD9") != std::string::npos);

  const std::string png = (dir / "a.png").string();
  wsss::writeLabelPng(png, sampleLabels());
  bytes = wsss::readFileBytes(png);
  CHECK(wsss::findTruncation(bytes).empty());
  bytes.pop_back();
  CHECK(wsss::findTruncation(bytes).find("IEND") != std::string::npos);
}

TEST_CASE("readRgbImage returns RGB and converts grey", "[label_png][image_io]") {
  TempDir dir("image_io");
  const std::string colour = (dir / "c.png").string();
  REQUIRE(cv::imwrite(colour, cv::Mat(5, 7, CV_8UC3, cv::Scalar(255, 0, 0))));  // blue in BGR
  const cv::Mat rgb = wsss::readRgbImage(colour);
  REQUIRE(rgb.type() == CV_8UC3);
  CHECK(rgb.at<cv::Vec3b>(0, 0) == cv::Vec3b(0, 0, 255));

  const std::string grey = (dir / "g.png").string();
  REQUIRE(cv::imwrite(grey, cv::Mat(5, 7, CV_8UC1, cv::Scalar(77))));
  const cv::Mat fromGrey = wsss::readRgbImage(grey);
  REQUIRE(fromGrey.type() == CV_8UC3);
  CHECK(fromGrey.at<cv::Vec3b>(4, 6) == cv::Vec3b(77, 77, 77));
  CHECK(wsss::readGreyImage(grey).type() == CV_8UC1);

  const std::string rgba = (dir / "a.png").string();
  REQUIRE(cv::imwrite(rgba, cv::Mat(5, 7, CV_8UC4, cv::Scalar(0, 255, 0, 128))));
  const cv::Mat fromRgba = wsss::readRgbImage(rgba);
  REQUIRE(fromRgba.type() == CV_8UC3);
  CHECK(fromRgba.at<cv::Vec3b>(0, 0) == cv::Vec3b(0, 255, 0));
}
