#include "train/tensorboard/event_file_reader.h"

#include <algorithm>
#include <filesystem>
#include <functional>

#include "core/error.h"
#include "train/tensorboard/tf_record.h"

namespace wsss {

namespace {

// Calls `visit` with each event of the file; records are decoded one at a time, so a file full of
// images never sits in memory whole.
void forEachEvent(const std::string& path,
                  const std::function<void(const tensorboard::Event&)>& visit) {
  TfRecordReader records(path);
  tensorboard::Event event;
  while (const std::optional<std::string> record = records.next()) {
    WSSS_CHECK(event.ParseFromString(*record), path,
               " holds a record that is not a TensorBoard event; is it an event file?");
    visit(event);
  }
}

}  // namespace

std::vector<std::string> eventFilesIn(const std::string& directory) {
  std::vector<std::string> files;
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    if (entry.is_regular_file() &&
        entry.path().filename().string().find("tfevents") != std::string::npos) {
      files.push_back(entry.path().string());
    }
  }
  WSSS_CHECK(!error, "cannot list ", directory, ": ", error.message());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<tensorboard::Event> readEventFile(const std::string& path) {
  std::vector<tensorboard::Event> events;
  forEachEvent(path, [&](const tensorboard::Event& event) { events.push_back(event); });
  return events;
}

std::optional<int64_t> lastWrittenStep(const std::string& directory, const std::string& tag) {
  std::optional<int64_t> last;
  for (const std::string& path : eventFilesIn(directory)) {
    forEachEvent(path, [&](const tensorboard::Event& event) {
      for (const tensorboard::Summary::Value& value : event.summary().value()) {
        if (value.tag() == tag && (!last || event.step() > *last)) last = event.step();
      }
    });
  }
  return last;
}

}  // namespace wsss
