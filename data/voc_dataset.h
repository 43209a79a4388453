#pragma once
// The PASCAL VOC 2012 reader. A split list names the images; each image brings the RGB image,
// its mask and image-level labels (from Annotations/*.xml or from the mask), and its saliency
// map and point clicks when a method of the run reads them (DataOptions::needs). Every read
// goes through inspect(), which lists all problems of one image; load() turns them into an
// exception and data-check into a report, so both judge the files the same way.
#include <cstdint>
#include <string>
#include <vector>

#include "data/data_options.h"
#include "data/points_json.h"
#include "data/sample_source.h"

namespace wsss {

enum class ProblemKind {
  MissingSplit,
  DuplicateId,
  MissingPoints,
  UnreadablePoints,
  MissingImage,
  UnreadableImage,
  MissingMask,
  UnreadableMask,
  MissingAnnotation,
  UnreadableAnnotation,
  MissingSaliency,
  UnreadableSaliency,
  SizeMismatch,
  LabelOutOfRange,
  PointOutsideImage,
  MissingClicks,
  NoLabels,
};

// The snake_case name used in reports: "missing_image", "label_out_of_range", ...
const char* problemKindName(ProblemKind kind);

// Whether load() refuses an image with this problem. An image without any foreground class
// still loads (data-check reports it); everything else stops it.
bool stopsLoading(ProblemKind kind);

struct DataProblem {
  ProblemKind kind = ProblemKind::MissingImage;
  std::string id;      // the image id; the split name for a problem of the split list
  std::string file;    // the file at fault
  std::string detail;  // what is wrong, naming the file(s), and what to do about it
};

// Ids of a split list: one per line, whitespace and CR trimmed, blank lines skipped, and the
// first token taken from VOC's classification format ("2008_000002  1").
struct SplitList {
  std::vector<std::string> ids;         // each id once, in first-seen order
  std::vector<std::string> duplicates;  // ids listed more than once (each named once)
};
// Throws wsss::Error naming the file when it cannot be read.
SplitList readSplitList(const std::string& path);

class VocDataset : public SampleSource {
 public:
  // Reads <root>/ImageSets/Segmentation/<split>.txt, the class list and (when a method reads
  // clicks) the points file. Throws wsss::Error naming the file for a missing split list,
  // duplicate ids, a missing or bad points file or bad options.
  VocDataset(const DataOptions& options, const std::string& split);
  // For data-check: problems of the split list and the points file are appended to
  // `problems` instead of thrown. Duplicates keep their first place; a missing split list
  // leaves the dataset empty.
  VocDataset(const DataOptions& options, const std::string& split,
             std::vector<DataProblem>& problems);

  size_t size() const override;
  const std::string& id(size_t index) const override;
  int64_t numClasses() const override;
  bool readsPoints() const override { return options_.needs.points(); }
  // Thread-safe. Throws wsss::Error naming the id and the files for every problem that
  // stops loading (see stopsLoading).
  Sample load(size_t index) const override;

  // Reads image `index` into `sample` as far as its files allow and returns every problem
  // found; never throws for bad data. Thread-safe.
  std::vector<DataProblem> inspect(size_t index, Sample& sample) const;

  const std::vector<std::string>& classNames() const { return classNames_; }
  // False for an image-only split (like VOC test): no image of it has a mask.
  bool hasMasks() const { return hasMasks_; }
  const std::string& split() const { return split_; }
  const std::string& splitPath() const { return splitPath_; }
  const std::vector<std::string>& ids() const { return ids_; }

  std::string imagePath(const std::string& id) const;       // JPEGImages/<id>.jpg
  std::string maskPath(const std::string& id) const;        // first existing; "" when none
  std::string annotationPath(const std::string& id) const;  // Annotations/<id>.xml
  std::string saliencyPath(const std::string& id) const;    // <saliency_dir>/<id>.png
  std::string pointsPath() const;                           // data.points_file resolved

 private:
  void open(std::vector<DataProblem>* problems);
  void inspectMask(const std::string& id, const cv::Mat& image, Sample& sample,
                   std::vector<DataProblem>& problems) const;
  void inspectLabels(const std::string& id, Sample& sample,
                     std::vector<DataProblem>& problems) const;
  void inspectSaliency(const std::string& id, const cv::Mat& image, Sample& sample,
                       std::vector<DataProblem>& problems) const;
  void inspectPoints(const std::string& id, const cv::Mat& image, Sample& sample,
                     std::vector<DataProblem>& problems) const;

  DataOptions options_;
  std::string split_;
  std::string splitPath_;
  std::vector<std::string> classNames_;
  std::vector<std::string> ids_;
  bool hasMasks_ = false;
  PointTable points_;
};

}  // namespace wsss
