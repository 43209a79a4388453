#pragma once
// A synthetic dataset in the PASCAL VOC 2012 layout, small enough to train on a CPU in
// minutes and built so that the failures weakly supervised segmentation is known for show up:
// look-alike classes told apart by a small part, classes tied to a typical background, and
// images with several classes. docs/toy-data.md describes the design and the files.
#include <cstdint>
#include <string>
#include <vector>

namespace wsss {

struct ToyDatasetOptions {
  std::string out;  // destination folder (created; files of the same names are overwritten)
  int64_t trainImages = 200;  // train_aug size; train is its first half
  int64_t valImages = 60;
  int64_t testImages = 6;  // no annotation, like VOC test (JPEG and saliency map only)
  uint64_t seed = 0;
};

struct ToyDatasetSummary {
  int64_t trainImages = 0;
  int64_t valImages = 0;
  int64_t objects = 0;  // annotated objects over train_aug and val
  std::vector<std::string> classNames;
};

// Writes the dataset; the same options give byte-identical files. Throws wsss::Error naming
// the path when a folder or file cannot be written.
ToyDatasetSummary writeToyDataset(const ToyDatasetOptions& options);

// The foreground classes in mask order: mask value k is class k - 1 of this list.
const std::vector<std::string>& toyClassNames();

// The id of image `number` (1-based) in VOC's style: "2007_000001".
std::string toyImageId(int64_t number);

}  // namespace wsss
