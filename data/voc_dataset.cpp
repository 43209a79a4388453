#include "data/voc_dataset.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/text.h"
#include "data/annotation_xml.h"
#include "data/image_io.h"
#include "data/label_png.h"
#include "data/voc_classes.h"

namespace wsss {

namespace {

namespace fs = std::filesystem;

constexpr uint8_t kVoidValue = 255;

bool fileExists(const std::string& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);
}

std::string sizeText(const cv::Mat& image) {
  return std::to_string(image.cols) + "x" + std::to_string(image.rows);
}

std::string joinNames(const std::vector<std::string>& names, const std::string& separator) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : separator) + name;
  return text;
}

// Split names available next to a missing one, for the error message.
std::string availableSplits(const fs::path& folder) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    if (entry.path().extension() == ".txt") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names.empty() ? "none" : joinNames(names, ", ");
}

std::array<bool, 256> valuesPresent(const cv::Mat& mask) {
  std::array<bool, 256> present{};
  for (int y = 0; y < mask.rows; ++y) {
    const uint8_t* row = mask.ptr<uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x) present[row[x]] = true;
  }
  return present;
}

std::string problemLine(const DataProblem& problem) {
  return std::string(problemKindName(problem.kind)) + ": " + problem.detail;
}

}  // namespace

const char* problemKindName(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::MissingSplit:
      return "missing_split";
    case ProblemKind::DuplicateId:
      return "duplicate_id";
    case ProblemKind::MissingPoints:
      return "missing_points";
    case ProblemKind::UnreadablePoints:
      return "unreadable_points";
    case ProblemKind::MissingImage:
      return "missing_image";
    case ProblemKind::UnreadableImage:
      return "unreadable_image";
    case ProblemKind::MissingMask:
      return "missing_mask";
    case ProblemKind::UnreadableMask:
      return "unreadable_mask";
    case ProblemKind::MissingAnnotation:
      return "missing_annotation";
    case ProblemKind::UnreadableAnnotation:
      return "unreadable_annotation";
    case ProblemKind::MissingSaliency:
      return "missing_saliency";
    case ProblemKind::UnreadableSaliency:
      return "unreadable_saliency";
    case ProblemKind::SizeMismatch:
      return "size_mismatch";
    case ProblemKind::LabelOutOfRange:
      return "label_out_of_range";
    case ProblemKind::PointOutsideImage:
      return "point_outside_image";
    case ProblemKind::MissingClicks:
      return "missing_clicks";
    case ProblemKind::NoLabels:
      return "no_labels";
  }
  return "unknown";
}

bool stopsLoading(ProblemKind kind) { return kind != ProblemKind::NoLabels; }

SplitList readSplitList(const std::string& path) {
  std::ifstream in(path);
  WSSS_CHECK(in.good(), "cannot read split list ", path);
  SplitList list;
  std::set<std::string> seen;
  std::set<std::string> repeated;
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty()) continue;
    const std::string id = line.substr(0, line.find_first_of(" \t"));
    if (seen.insert(id).second) {
      list.ids.push_back(id);
    } else if (repeated.insert(id).second) {
      list.duplicates.push_back(id);
    }
  }
  return list;
}

VocDataset::VocDataset(const DataOptions& options, const std::string& split)
    : options_(options), split_(split) {
  open(nullptr);
}

VocDataset::VocDataset(const DataOptions& options, const std::string& split,
                       std::vector<DataProblem>& problems)
    : options_(options), split_(split) {
  open(&problems);
}

void VocDataset::open(std::vector<DataProblem>* problems) {
  WSSS_CHECK(!options_.maskDirs.empty(), "data.mask_dirs is empty; name at least one folder");
  classNames_ = resolveClassNames(options_);

  const fs::path splitFolder = fs::path(options_.root) / "ImageSets" / "Segmentation";
  splitPath_ = (splitFolder / (split_ + ".txt")).string();
  if (!fileExists(splitPath_)) {
    std::error_code ignored;
    const std::string detail =
        fs::is_directory(options_.root, ignored)
            ? "split list " + splitPath_ + " does not exist (splits in " + splitFolder.string() +
                  ": " + availableSplits(splitFolder) + "; check data.root and the split name)"
            : "data.root " + options_.root + " is not a folder" +
                  (fs::path(options_.root).is_relative()
                       ? " (read from " + fs::current_path(ignored).string() + ")"
                       : "") +
                  "; set data.root to the folder that holds JPEGImages and ImageSets";
    DataProblem problem{ProblemKind::MissingSplit, split_, splitPath_, detail};
    if (!problems) WSSS_FAIL(problem.detail);
    problems->push_back(problem);
    return;
  }
  SplitList list = readSplitList(splitPath_);
  if (!list.duplicates.empty()) {
    if (!problems) {
      WSSS_FAIL("split list ", splitPath_,
                " names these ids more than once: ", joinNames(list.duplicates, ", "),
                " (remove the repeated lines)");
    }
    for (const std::string& id : list.duplicates) {
      problems->push_back({ProblemKind::DuplicateId, id, splitPath_,
                           "id " + id + " appears more than once in " + splitPath_});
    }
  }
  ids_ = std::move(list.ids);

  for (const std::string& id : ids_) {
    if (!maskPath(id).empty()) {
      hasMasks_ = true;
      break;
    }
  }

  if (!options_.needs.points()) return;
  const std::string pointsFile = pointsPath();
  if (!fileExists(pointsFile)) {
    const std::string& method = options_.needs.pointsFor;
    DataProblem problem{ProblemKind::MissingPoints, split_, pointsFile,
                        method + " reads clicks, but the points file " + pointsFile +
                            " does not exist (data.points_file names it, relative to "
                            "data.root; or switch " +
                            method + " off)"};
    if (!problems) WSSS_FAIL(problem.detail);
    problems->push_back(problem);
    return;
  }
  try {
    points_ = readPointsJson(pointsFile);
  } catch (const Error& error) {
    if (!problems) throw;
    problems->push_back({ProblemKind::UnreadablePoints, split_, pointsFile, error.what()});
  }
}

size_t VocDataset::size() const { return ids_.size(); }

const std::string& VocDataset::id(size_t index) const {
  WSSS_CHECK(index < ids_.size(), "image index ", index, " is out of range for split ", split_,
             " of ", ids_.size(), " images");
  return ids_[index];
}

int64_t VocDataset::numClasses() const { return static_cast<int64_t>(classNames_.size()); }

std::string VocDataset::imagePath(const std::string& id) const {
  return (fs::path(options_.root) / "JPEGImages" / (id + ".jpg")).string();
}

std::string VocDataset::maskPath(const std::string& id) const {
  for (const std::string& folder : options_.maskDirs) {
    const std::string path = (fs::path(options_.root) / folder / (id + ".png")).string();
    if (fileExists(path)) return path;
  }
  return "";
}

std::string VocDataset::annotationPath(const std::string& id) const {
  return (fs::path(options_.root) / "Annotations" / (id + ".xml")).string();
}

std::string VocDataset::saliencyPath(const std::string& id) const {
  // An absolute saliency_dir replaces the root in the join.
  return (fs::path(options_.root) / options_.saliencyDir / (id + ".png")).string();
}

std::string VocDataset::pointsPath() const {
  // An absolute points_file replaces the root in the join.
  return (fs::path(options_.root) / options_.pointsFile).string();
}

Sample VocDataset::load(size_t index) const {
  Sample sample;
  const std::vector<DataProblem> problems = inspect(index, sample);
  std::vector<std::string> lines;
  for (const DataProblem& problem : problems) {
    if (stopsLoading(problem.kind)) lines.push_back(problemLine(problem));
  }
  if (lines.empty()) return sample;
  // One problem stays on the error's line, so the line names the file; several are listed.
  std::string message;
  for (const std::string& line : lines) message += (lines.size() == 1 ? " " : "\n  ") + line;
  WSSS_FAIL("cannot load image ", sample.id, " of split ", split_, ":", message);
}

std::vector<DataProblem> VocDataset::inspect(size_t index, Sample& sample) const {
  const std::string& imageId = id(index);
  std::vector<DataProblem> problems;
  sample = Sample{};
  sample.id = imageId;
  sample.labels.assign(classNames_.size(), 0);

  const std::string imageFile = imagePath(imageId);
  if (!fileExists(imageFile)) {
    problems.push_back({ProblemKind::MissingImage, imageId, imageFile,
                        "image " + imageFile + " does not exist (remove " + imageId +
                            " from the split list or restore the image)"});
  } else {
    try {
      sample.image = readRgbImage(imageFile);
    } catch (const std::exception& error) {
      problems.push_back({ProblemKind::UnreadableImage, imageId, imageFile, error.what()});
    }
  }
  inspectMask(imageId, sample.image, sample, problems);
  inspectLabels(imageId, sample, problems);
  inspectSaliency(imageId, sample.image, sample, problems);
  inspectPoints(imageId, sample.image, sample, problems);
  return problems;
}

void VocDataset::inspectMask(const std::string& id, const cv::Mat& image, Sample& sample,
                             std::vector<DataProblem>& problems) const {
  const std::string file = maskPath(id);
  if (file.empty()) {
    // An image-only split (VOC test) has no masks at all; a gap in a split with masks is an
    // error.
    if (hasMasks_) {
      const std::string expected =
          (fs::path(options_.root) / options_.maskDirs.front() / (id + ".png")).string();
      problems.push_back({ProblemKind::MissingMask, id, expected,
                          "no mask " + id + ".png in " + joinNames(options_.maskDirs, " or ") +
                              " under " + options_.root + " while other images of split " + split_ +
                              " have one (add the mask or remove the id from the split)"});
    }
    return;
  }
  cv::Mat mask;
  try {
    mask = readLabelPng(file);
  } catch (const std::exception& error) {
    problems.push_back({ProblemKind::UnreadableMask, id, file, error.what()});
    return;
  }
  const std::array<bool, 256> present = valuesPresent(mask);
  std::string outside;
  for (size_t value = classNames_.size() + 1; value < present.size(); ++value) {
    if (present[value] && value != kVoidValue) {
      outside += (outside.empty() ? "" : ", ") + std::to_string(value);
    }
  }
  if (!outside.empty()) {
    problems.push_back({ProblemKind::LabelOutOfRange, id, file,
                        "mask " + file + " has value(s) " + outside + " outside 0.." +
                            std::to_string(classNames_.size()) + " and 255 (" +
                            std::to_string(classNames_.size()) +
                            " classes; check data.classes or the mask)"});
  }
  if (!image.empty() && mask.size() != image.size()) {
    problems.push_back({ProblemKind::SizeMismatch, id, file,
                        "mask " + file + " is " + sizeText(mask) + " but image " + imagePath(id) +
                            " is " + sizeText(image) + " (regenerate the mask at the image size)"});
  }
  sample.mask = mask;
}

void VocDataset::inspectLabels(const std::string& id, Sample& sample,
                               std::vector<DataProblem>& problems) const {
  const std::string xmlFile = annotationPath(id);
  const bool useXml = options_.labelSource == LabelSource::Xml ||
                      (options_.labelSource == LabelSource::Auto && fileExists(xmlFile));
  std::string sourceFile;
  if (useXml) {
    if (!fileExists(xmlFile)) {
      problems.push_back({ProblemKind::MissingAnnotation, id, xmlFile,
                          "annotation " + xmlFile +
                              " does not exist (data.label_source is xml; auto falls back to "
                              "the mask)"});
      return;
    }
    std::vector<std::string> names;
    try {
      names = readAnnotationObjectNames(xmlFile);
    } catch (const std::exception& error) {
      problems.push_back({ProblemKind::UnreadableAnnotation, id, xmlFile, error.what()});
      return;
    }
    std::vector<std::string> unknown;
    for (const std::string& name : names) {
      const int64_t index = classIndex(classNames_, name);
      if (index >= 0) {
        sample.labels[static_cast<size_t>(index)] = 1;
      } else if (std::find(unknown.begin(), unknown.end(), name) == unknown.end()) {
        unknown.push_back(name);
      }
    }
    if (!unknown.empty()) {
      problems.push_back({ProblemKind::LabelOutOfRange, id, xmlFile,
                          "annotation " + xmlFile + " names class(es) '" +
                              joinNames(unknown, "', '") + "' not among the " +
                              std::to_string(classNames_.size()) +
                              " classes (set data.classes or <root>/classes.txt)"});
    }
    sourceFile = xmlFile;
  } else {
    // Without a readable mask the labels are unknown; a missing or broken mask is already
    // reported, and an image-only split has none to give.
    if (sample.mask.empty()) return;
    const std::array<bool, 256> present = valuesPresent(sample.mask);
    for (size_t c = 0; c < classNames_.size(); ++c) sample.labels[c] = present[c + 1] ? 1 : 0;
    sourceFile = maskPath(id);
  }
  if (std::find(sample.labels.begin(), sample.labels.end(), 1) == sample.labels.end()) {
    problems.push_back({ProblemKind::NoLabels, id, sourceFile,
                        sourceFile + " gives image " + id +
                            " no foreground class (image-level training needs at least one; "
                            "fix the labels or drop the id from the split)"});
  }
}

void VocDataset::inspectSaliency(const std::string& id, const cv::Mat& image, Sample& sample,
                                 std::vector<DataProblem>& problems) const {
  if (!options_.needs.saliency()) return;
  const std::string& method = options_.needs.saliencyFor;
  const std::string file = saliencyPath(id);
  if (!fileExists(file)) {
    problems.push_back({ProblemKind::MissingSaliency, id, file,
                        method + " reads saliency maps, but " + file +
                            " does not exist (every training image needs a grey 0..255 "
                            "<id>.png at its size in data.saliency_dir; or switch " +
                            method + " off)"});
    return;
  }
  cv::Mat saliency;
  try {
    saliency = readGreyImage(file);
  } catch (const std::exception& error) {
    problems.push_back({ProblemKind::UnreadableSaliency, id, file, error.what()});
    return;
  }
  if (!image.empty() && saliency.size() != image.size()) {
    problems.push_back({ProblemKind::SizeMismatch, id, file,
                        "saliency map " + file + " is " + sizeText(saliency) + " but image " +
                            imagePath(id) + " is " + sizeText(image) +
                            " (regenerate the map at the image size)"});
  }
  sample.saliency = saliency;
}

void VocDataset::inspectPoints(const std::string& id, const cv::Mat& image, Sample& sample,
                               std::vector<DataProblem>& problems) const {
  if (!options_.needs.points()) return;
  const auto found = points_.find(id);
  const std::string file = pointsPath();
  if (found == points_.end()) {
    // An image the annotators saw without clicking maps to null; a missing id is a file that
    // does not cover the split.
    problems.push_back({ProblemKind::MissingClicks, id, file,
                        "points file " + file + " has no entry for image " + id + " of split " +
                            split_ + ", which " + options_.needs.pointsFor +
                            " reads (add its clicks, or null for none, or drop the id from "
                            "the split)"});
    return;
  }
  const int64_t numClasses = static_cast<int64_t>(classNames_.size());
  std::string badClasses;
  std::string outside;
  for (size_t position = 0; position < found->second.size(); ++position) {
    const Point& point = found->second[position];
    std::ostringstream where;
    where << "point " << position << " (x " << point.x << ", y " << point.y << ", cls " << point.cls
          << ")";
    if (point.cls < 0 || point.cls > numClasses) {
      badClasses += (badClasses.empty() ? "" : "; ") + where.str();
    }
    if (!image.empty() &&
        !(point.x >= 0 && point.y >= 0 && point.x < image.cols && point.y < image.rows)) {
      outside += (outside.empty() ? "" : "; ") + where.str();
    }
  }
  if (!badClasses.empty()) {
    problems.push_back({ProblemKind::LabelOutOfRange, id, file,
                        "points file " + file + ": image " + id + " has cls outside 0.." +
                            std::to_string(numClasses) + " at " + badClasses +
                            " (cls is 1..C for objects, 0 for background)"});
  }
  if (!outside.empty()) {
    problems.push_back({ProblemKind::PointOutsideImage, id, file,
                        "points file " + file + ": image " + id + " has " + outside +
                            " outside the " + sizeText(image) + " image " + imagePath(id) +
                            " (coordinates are zero-based pixels)"});
  }
  sample.points = found->second;
}

}  // namespace wsss
