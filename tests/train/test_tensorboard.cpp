#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "train/tensorboard/crc32c.h"
#include "train/tensorboard/event_file_reader.h"
#include "train/tensorboard/event_file_writer.h"
#include "train/tensorboard/tf_record.h"
#include "test_helpers.h"

namespace fs = std::filesystem;
using Catch::Contains;
using wsss::EventFileWriter;
using wsss::test::readText;
using wsss::test::TempDir;
using wsss::test::writeText;

namespace {

// Where each record of a TFRecord file starts, found by walking the length fields.
std::vector<size_t> recordStarts(const std::string& bytes) {
  std::vector<size_t> starts;
  size_t offset = 0;
  while (offset + 12 <= bytes.size()) {
    uint64_t length = 0;
    for (int i = 7; i >= 0; --i)
      length = (length << 8) | static_cast<unsigned char>(bytes[offset + i]);
    starts.push_back(offset);
    offset += 12 + length + 4;
  }
  return starts;
}

std::vector<std::string> readAllRecords(const std::string& path,
                                        bool* endedInsideRecord = nullptr) {
  wsss::TfRecordReader reader(path);
  std::vector<std::string> records;
  while (auto record = reader.next()) records.push_back(*record);
  if (endedInsideRecord) *endedInsideRecord = reader.endedInsideRecord();
  return records;
}

// A folder holding one event file with scalars at steps 1..5 under "loss"; its path.
std::string writeFiveLosses(const TempDir& dir) {
  EventFileWriter writer((dir / "run").string());
  for (int step = 1; step <= 5; ++step) writer.addScalar("loss", 1.0 / step, step);
  return writer.path();
}

}  // namespace

TEST_CASE("crc32c matches the Castagnoli known answers", "[tensorboard]") {
  CHECK(wsss::crc32c("123456789") == 0xE3069283u);
  CHECK(wsss::crc32c("") == 0u);
  // The iSCSI test vectors of RFC 3720, B.4.
  CHECK(wsss::crc32c(std::string(32, '\0')) == 0x8A9136AAu);
  CHECK(wsss::crc32c(std::string(32, '\xFF')) == 0x62A8AB43u);
  std::string ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  CHECK(wsss::crc32c(ascending) == 0x46DD794Eu);
}

TEST_CASE("tf records: framing layout and round trip", "[tensorboard]") {
  CHECK(wsss::maskCrc32c(0) == 0xA282EAD8u);
  CHECK(wsss::maskCrc32c(0x8000u) == 0xA282EAD9u);  // bit 15 rotates down to bit 0

  const std::string framed = wsss::frameTfRecord("abc");
  REQUIRE(framed.size() == 12 + 3 + 4);
  CHECK(framed.substr(0, 8) == std::string("\x03\0\0\0\0\0\0\0", 8));
  CHECK(framed.substr(12, 3) == "abc");

  TempDir dir("tf_record");
  std::string big(100000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7919 % 251);
  const std::vector<std::string> records = {"first", "", std::string("nul\0inside", 10), big};
  std::string file;
  for (const auto& record : records) file += wsss::frameTfRecord(record);
  writeText(dir / "records", file);

  bool endedInsideRecord = true;
  CHECK(readAllRecords((dir / "records").string(), &endedInsideRecord) == records);
  CHECK_FALSE(endedInsideRecord);
  writeText(dir / "empty", "");
  CHECK(readAllRecords((dir / "empty").string()).empty());
  CHECK_THROWS_WITH(wsss::TfRecordReader((dir / "missing").string()), Contains("missing"));
}

TEST_CASE("event files: what the writer wrote reads back", "[tensorboard]") {
  TempDir dir("event_file");
  const std::string runDir = (dir / "runs/a/tensorboard").string();  // created by the writer
  cv::Mat rgb(6, 10, CV_8UC3, cv::Scalar(200, 30, 7));
  rgb.at<cv::Vec3b>(0, 0) = cv::Vec3b(1, 2, 3);
  std::string path;
  {
    EventFileWriter writer(runDir);
    path = writer.path();
    writer.addScalar("loss/total", 0.25, 10);
    writer.addScalar("loss/total", 0.125, 20);
    writer.addImage("pseudo/0", rgb, 20);
    writer.addImage("grey", cv::Mat(3, 4, CV_8UC1, cv::Scalar(77)), 20);
    writer.addText("config", "seed: 1\nlr: 0.01", 0);
    writer.flush();
  }  // the destructor closes

  CHECK(wsss::eventFilesIn(runDir) == std::vector<std::string>{path});
  CHECK(fs::path(path).filename().string().rfind("events.out.tfevents.", 0) == 0);
  const auto events = wsss::readEventFile(path);
  REQUIRE(events.size() == 6);
  CHECK(events[0].file_version() == "brain.Event:2");
  CHECK(events[0].wall_time() > 1.6e9);

  CHECK(events[1].step() == 10);
  REQUIRE(events[1].summary().value_size() == 1);
  CHECK(events[1].summary().value(0).tag() == "loss/total");
  CHECK(events[1].summary().value(0).simple_value() == 0.25f);
  CHECK(events[2].summary().value(0).simple_value() == 0.125f);
  CHECK(events[2].wall_time() >= events[1].wall_time());

  const auto& image = events[3].summary().value(0).image();
  CHECK(image.height() == 6);
  CHECK(image.width() == 10);
  CHECK(image.colorspace() == 3);
  const std::string& png = image.encoded_image_string();
  const cv::Mat decoded =
      cv::imdecode(std::vector<uchar>(png.begin(), png.end()), cv::IMREAD_COLOR);
  REQUIRE(decoded.size() == cv::Size(10, 6));
  CHECK(decoded.at<cv::Vec3b>(0, 0) == cv::Vec3b(3, 2, 1));  // imdecode gives BGR
  CHECK(decoded.at<cv::Vec3b>(5, 9) == cv::Vec3b(7, 30, 200));
  CHECK(events[4].summary().value(0).image().colorspace() == 1);

  const auto& text = events[5].summary().value(0);
  CHECK(text.metadata().plugin_data().plugin_name() == "text");
  CHECK(text.tensor().dtype() == tensorboard::DT_STRING);
  REQUIRE(text.tensor().tensor_shape().dim_size() == 1);
  CHECK(text.tensor().tensor_shape().dim(0).size() == 1);
  REQUIRE(text.tensor().string_val_size() == 1);
  CHECK(text.tensor().string_val(0) == "seed: 1\nlr: 0.01");

  CHECK(wsss::lastWrittenStep(runDir, "loss/total") == 20);
  CHECK(wsss::lastWrittenStep(runDir, "config") == 0);
  CHECK_FALSE(wsss::lastWrittenStep(runDir, "loss"));
  CHECK_FALSE(wsss::lastWrittenStep((dir / "nowhere").string(), "loss/total"));
}

TEST_CASE("event files: a resumed run's new file sits beside the old one", "[tensorboard]") {
  TempDir dir("event_resume");
  const std::string first = writeFiveLosses(dir);
  EventFileWriter resumed((dir / "run").string());
  CHECK(resumed.path() != first);  // a new file, even within the same second
  const auto last = wsss::lastWrittenStep((dir / "run").string(), "loss");
  REQUIRE(last == 5);
  for (int step = *last + 1; step <= 8; ++step) resumed.addScalar("loss", 0.1, step);
  resumed.close();
  resumed.close();  // twice is harmless
  CHECK(wsss::eventFilesIn((dir / "run").string()).size() == 2);
  CHECK(wsss::lastWrittenStep((dir / "run").string(), "loss") == 8);
  CHECK_THROWS_WITH(resumed.addScalar("loss", 0.1, 9),
                    Contains(resumed.path()) && Contains("closed"));
}

TEST_CASE("event files: a last record cut short is left out", "[tensorboard]") {
  TempDir dir("event_truncated");
  const std::string path = writeFiveLosses(dir);
  const std::string whole = readText(path);
  const std::vector<size_t> starts = recordStarts(whole);
  REQUIRE(starts.size() == 6);  // the version, then steps 1..5
  // Every cut inside the last record, as a run killed mid-write leaves it.
  for (size_t cut = starts.back() + 1; cut < whole.size(); ++cut) {
    INFO("file cut to " << cut << " of " << whole.size() << " bytes");
    writeText(path, whole.substr(0, cut));
    bool endedInsideRecord = false;
    CHECK(readAllRecords(path, &endedInsideRecord).size() == 5);
    CHECK(endedInsideRecord);
    CHECK(wsss::readEventFile(path).size() == 5);
    CHECK(wsss::lastWrittenStep((dir / "run").string(), "loss") == 4);
  }
}

TEST_CASE("event files: a checksum that fails before the end names the file", "[tensorboard]") {
  TempDir dir("event_corrupt");
  const std::string path = writeFiveLosses(dir);
  const std::string whole = readText(path);
  const std::vector<size_t> starts = recordStarts(whole);
  REQUIRE(starts.size() == 6);

  SECTION("in a record's data") {
    std::string corrupt = whole;
    corrupt[starts[2] + 12 + 3] ^= 0x10;
    writeText(path, corrupt);
    CHECK_THROWS_WITH(wsss::readEventFile(path), Contains(path) && Contains("corrupt") &&
                                                     Contains("byte " + std::to_string(starts[2])));
    CHECK_THROWS_WITH(wsss::lastWrittenStep((dir / "run").string(), "loss"), Contains(path));
  }
  SECTION("in a record's length") {
    std::string corrupt = whole;
    corrupt[starts[3]] ^= 0x01;
    writeText(path, corrupt);
    CHECK_THROWS_WITH(wsss::readEventFile(path), Contains(path) && Contains("length"));
  }
  SECTION("in the last record, which is whole") {
    std::string corrupt = whole;
    corrupt[whole.size() - 1] ^= 0x01;
    writeText(path, corrupt);
    CHECK_THROWS_WITH(wsss::readEventFile(path), Contains(path) && Contains("corrupt"));
  }
  SECTION("a record that is not an event") {
    writeText(path, whole + wsss::frameTfRecord("\xFF\xFF\xFF"));
    CHECK_THROWS_WITH(wsss::readEventFile(path),
                      Contains(path) && Contains("not a TensorBoard event"));
  }
}

TEST_CASE("event files: bad input and unwritable folders say what is wrong", "[tensorboard]") {
  TempDir dir("event_errors");
  writeText(dir / "blocker", "a file where a folder should be");
  CHECK_THROWS_WITH(EventFileWriter((dir / "blocker/tb").string()), Contains("blocker"));

  EventFileWriter writer((dir / "run").string());
  CHECK_THROWS_WITH(writer.addImage("maps", cv::Mat(4, 4, CV_32FC3), 1),
                    Contains("maps") && Contains("uint8") && Contains("CV_32FC3"));
  CHECK_THROWS_WITH(writer.addImage("maps", cv::Mat(4, 4, CV_8UC4), 1), Contains("CV_8UC4"));
  CHECK_THROWS_WITH(writer.addImage("maps", cv::Mat(), 1), Contains("empty"));
  CHECK_THROWS_WITH(writer.addScalar("", 1.0, 1), Contains(writer.path()));
}

TEST_CASE("event files: TensorBoard's own reader sees the scalars, images and text",
          "[tensorboard][reference]") {
  TempDir dir("event_reference");
  const std::string runDir = (dir / "run").string();
  cv::Mat rgb(12, 20, CV_8UC3, cv::Scalar(200, 30, 7));
  rgb.at<cv::Vec3b>(0, 0) = cv::Vec3b(1, 2, 3);
  const std::string text = "**step 10**: mIoU 0.5, ünïcödé";
  {
    EventFileWriter writer(runDir);
    for (int step : {0, 5, 10}) {
      writer.addScalar("loss/total", 1.5 / (step + 1), step);
      writer.addScalar("lr", 0.01 * step, step);
    }
    writer.addImage("pseudo/0", rgb, 10);
    writer.addImage("grey", cv::Mat(5, 7, CV_8UC1, cv::Scalar(77)), 10);
    writer.addText("notes", text, 10);
  }
  const std::string json = (dir / "read.json").string();
  const auto run = wsss::test::runReferenceScript("tensorboard_reference.py",
                                                  "--logdir '" + runDir + "' --out '" + json + "'");
  INFO(run.output);
  REQUIRE(run.exitCode == 0);
  const auto read = nlohmann::json::parse(readText(json));

  CHECK(read["file_version"] == "brain.Event:2");
  for (int step : {0, 5, 10}) {
    INFO("step " << step);
    const size_t index = static_cast<size_t>(step / 5);
    CHECK(read["scalars"]["loss/total"][index][0] == step);
    CHECK(read["scalars"]["loss/total"][index][1].get<double>() ==
          static_cast<float>(1.5 / (step + 1)));
    CHECK(read["scalars"]["lr"][index][1].get<double>() == static_cast<float>(0.01 * step));
  }
  CHECK(read["scalars"]["lr"].size() == 3);

  const auto& image = read["images"]["pseudo/0"][0];
  CHECK(image["step"] == 10);
  CHECK(image["width"] == 20);
  CHECK(image["height"] == 12);
  CHECK(image["decoded_size"] == nlohmann::json::array({20, 12}));
  CHECK(image["mode"] == "RGB");
  CHECK(image["pixel_0_0"] == nlohmann::json::array({1, 2, 3}));
  CHECK(image["pixel_1_1"] == nlohmann::json::array({200, 30, 7}));
  CHECK(read["images"]["grey"][0]["mode"] == "L");
  CHECK(read["images"]["grey"][0]["decoded_size"] == nlohmann::json::array({7, 5}));

  CHECK(read["texts"]["notes"][0][0] == 10);
  CHECK(read["texts"]["notes"][0][1] == text);

  // TensorBoard's current loader turns each kind into the data class its dashboard reads.
  CHECK(read["data_classes"]["loss/total"] == "DATA_CLASS_SCALAR");
  CHECK(read["data_classes"]["pseudo/0"] == "DATA_CLASS_BLOB_SEQUENCE");
  CHECK(read["data_classes"]["notes"] == "DATA_CLASS_TENSOR");
}
