#pragma once
// Reading event files back: what a resumed run has already written, and what the tests check.
// A run killed while writing can leave a last record cut short; that record is skipped, as
// TensorBoard skips it. A checksum that fails anywhere else throws wsss::Error naming the file.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "train/tensorboard/tensorboard_event.pb.h"

namespace wsss {

// The event files of `directory` (names holding "tfevents", as TensorBoard picks them) in name
// order, which is the order they were written in; none when the folder does not exist.
std::vector<std::string> eventFilesIn(const std::string& directory);

// Every event of one file, in order, the file-version event first.
std::vector<tensorboard::Event> readEventFile(const std::string& path);

// The largest step at which any event file of `directory` holds a value tagged `tag`; nullopt
// when none does. A resumed run writes a tag only at steps after this one, so TensorBoard's
// merged view of the folder holds each step once.
std::optional<int64_t> lastWrittenStep(const std::string& directory, const std::string& tag);

}  // namespace wsss
