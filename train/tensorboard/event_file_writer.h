#pragma once
// Training curves, images and notes for TensorBoard: one event file per writer, in TensorBoard's
// own format (TFRecord-framed Event messages), so `tensorboard --logdir` reads a run folder as
// it is. A resumed run opens a new file beside the old ones; TensorBoard merges the files of a
// folder, and lastWrittenStep (event_file_reader.h) tells the caller which steps are there.
// Not thread-safe: one thread writes (under torchrun, one rank).
#include <cstdint>
#include <cstdio>
#include <string>

namespace cv {
class Mat;
}
namespace tensorboard {
class Event;
}

namespace wsss {

class EventFileWriter {
 public:
  // Creates `directory` if needed and a new file events.out.tfevents.<unix seconds>.<hostname>
  // in it (with a .1, .2, ... suffix if a writer in the same second took that name), and
  // writes the file's first event, its version.
  explicit EventFileWriter(const std::string& directory);
  // Flushes and closes; an error there is logged, as a destructor cannot throw. Call close()
  // to have it thrown instead.
  ~EventFileWriter();
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  // TensorBoard keeps scalars as float32; `value` is rounded to one.
  void addScalar(const std::string& tag, double value, int64_t step);
  // `image`: H x W x 3 uint8 in RGB order (as data/ holds images), or H x W uint8 grey; stored
  // as PNG.
  void addImage(const std::string& tag, const cv::Mat& image, int64_t step);
  // Shown by TensorBoard's text plugin, which renders it as Markdown.
  void addText(const std::string& tag, const std::string& text, int64_t step);

  // Events are buffered; flush() hands them to the file system so TensorBoard sees them.
  void flush();
  // Flushes and closes the file; later adds throw. Safe to call twice.
  void close();

  const std::string& path() const { return path_; }

 private:
  void write(const tensorboard::Event& event);

  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace wsss
