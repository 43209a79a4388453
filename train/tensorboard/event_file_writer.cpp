#include "train/tensorboard/event_file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/logging.h"
#include "train/tensorboard/tensorboard_event.pb.h"
#include "train/tensorboard/tf_record.h"

namespace wsss {

namespace {

// The version of the event format, in the first event of every file. From version 2 on,
// TensorBoard no longer discards the data after a step that goes backwards (it waits for an
// explicit restart event, which we never write).
constexpr const char* kFileVersion = "brain.Event:2";

double secondsSinceEpoch() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration<double>(now).count();
}

std::string hostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// TensorBoard reads every file of a folder whose name holds "tfevents", in name order; the
// zero-padded seconds keep a resumed run's file after the files before it.
std::string eventFileName(double wallTime) {
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%010lld", static_cast<long long>(wallTime));
  return std::string("events.out.tfevents.") + seconds + "." + hostName();
}

// Creates the file, never opening one that exists: two writers started in the same second get
// different names instead of interleaving their records in one file.
std::FILE* createNewFile(const std::string& base, std::string& path) {
  for (int suffix = 0;; ++suffix) {
    path = suffix == 0 ? base : base + "." + std::to_string(suffix);
    const int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (descriptor >= 0) {
      std::FILE* file = ::fdopen(descriptor, "wb");
      if (!file) {
        const std::string reason = std::strerror(errno);
        ::close(descriptor);
        WSSS_FAIL("cannot write ", path, ": ", reason);
      }
      return file;
    }
    WSSS_CHECK(errno == EEXIST && suffix < 1000, "cannot create ", path, ": ",
               std::strerror(errno));
  }
}

tensorboard::Event eventAt(int64_t step) {
  tensorboard::Event event;
  event.set_wall_time(secondsSinceEpoch());
  event.set_step(step);
  return event;
}

tensorboard::Summary::Value* addValue(tensorboard::Event& event, const std::string& tag) {
  tensorboard::Summary::Value* value = event.mutable_summary()->add_value();
  value->set_tag(tag);
  return value;
}

}  // namespace

EventFileWriter::EventFileWriter(const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  WSSS_CHECK(!error, "cannot create folder ", directory,
             " for TensorBoard's event files: ", error.message());
  tensorboard::Event first;
  first.set_wall_time(secondsSinceEpoch());
  first.set_file_version(kFileVersion);
  const std::string base =
      (std::filesystem::path(directory) / eventFileName(first.wall_time())).string();
  file_ = createNewFile(base, path_);
  write(first);
}

EventFileWriter::~EventFileWriter() {
  try {
    close();
  } catch (const std::exception& error) {
    logWarning(error.what());
  }
}

void EventFileWriter::addScalar(const std::string& tag, double value, int64_t step) {
  WSSS_CHECK(!tag.empty(), "a scalar for ", path_, " needs a tag");
  tensorboard::Event event = eventAt(step);
  addValue(event, tag)->set_simple_value(static_cast<float>(value));
  write(event);
}

void EventFileWriter::addImage(const std::string& tag, const cv::Mat& image, int64_t step) {
  WSSS_CHECK(!tag.empty(), "an image for ", path_, " needs a tag");
  WSSS_CHECK(!image.empty() && image.dims == 2 && image.depth() == CV_8U &&
                 (image.channels() == 3 || image.channels() == 1),
             "image '", tag, "' for ", path_, " must be H x W x 3 uint8 (RGB) or H x W uint8, not ",
             image.empty() ? std::string("empty") : cv::typeToString(image.type()));
  // OpenCV's encoders take channels in BGR order.
  cv::Mat encoderOrder = image;
  if (image.channels() == 3) cv::cvtColor(image, encoderOrder, cv::COLOR_RGB2BGR);
  std::vector<uchar> png;
  WSSS_CHECK(cv::imencode(".png", encoderOrder, png), "cannot encode image '", tag, "' as PNG for ",
             path_);

  tensorboard::Event event = eventAt(step);
  tensorboard::Summary::Image* stored = addValue(event, tag)->mutable_image();
  stored->set_height(image.rows);
  stored->set_width(image.cols);
  stored->set_colorspace(image.channels());
  stored->set_encoded_image_string(png.data(), png.size());
  write(event);
}

void EventFileWriter::addText(const std::string& tag, const std::string& text, int64_t step) {
  WSSS_CHECK(!tag.empty(), "a text for ", path_, " needs a tag");
  tensorboard::Event event = eventAt(step);
  tensorboard::Summary::Value* value = addValue(event, tag);
  // The text plugin claims values by this name; its content, TextPluginData at version 0,
  // encodes to no bytes.
  value->mutable_metadata()->mutable_plugin_data()->set_plugin_name("text");
  tensorboard::TensorProto* tensor = value->mutable_tensor();
  tensor->set_dtype(tensorboard::DT_STRING);
  tensor->mutable_tensor_shape()->add_dim()->set_size(1);
  tensor->add_string_val(text);
  write(event);
}

void EventFileWriter::write(const tensorboard::Event& event) {
  WSSS_CHECK(file_, "cannot write to ", path_, ": the event file is closed");
  std::string data;
  WSSS_CHECK(event.SerializeToString(&data), "cannot encode an event for ", path_);
  const std::string record = frameTfRecord(data);
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size()) {
    const std::string reason = std::strerror(errno);
    // A record cut short can only be the last one: readers skip a truncated tail, but not a
    // gap in the middle, so nothing more goes into this file.
    std::fclose(std::exchange(file_, nullptr));
    WSSS_FAIL("cannot write ", path_, ": ", reason, " (is the disk full?)");
  }
}

void EventFileWriter::flush() {
  WSSS_CHECK(file_, "cannot flush ", path_, ": the event file is closed");
  if (std::fflush(file_) != 0) {
    const std::string reason = std::strerror(errno);
    std::fclose(std::exchange(file_, nullptr));
    WSSS_FAIL("cannot write ", path_, ": ", reason, " (is the disk full?)");
  }
}

void EventFileWriter::close() {
  if (!file_) return;
  std::FILE* file = std::exchange(file_, nullptr);
  std::string failure;
  if (std::fflush(file) != 0) failure = std::strerror(errno);
  if (std::fclose(file) != 0 && failure.empty()) failure = std::strerror(errno);
  WSSS_CHECK(failure.empty(), "cannot write ", path_, ": ", failure, " (is the disk full?)");
}

}  // namespace wsss
