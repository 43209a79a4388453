#pragma once
// Options of the dataset, augmentation and loader: the `data:` section of a config.
#include <cstdint>
#include <string>
#include <vector>

#include "core/config/choice.h"

namespace wsss {

class OptionTable;

struct ColorJitterOptions {
  double brightness = 0.3;  // factor drawn from [1 - b, 1 + b]
  double contrast = 0.3;
  double saturation = 0.3;
  double hue = 0.0;  // shift in [-h, h] of a full turn, h <= 0.5
  double probability = 0.8;
  void describe(OptionTable& table);
};

struct AugmentOptions {
  std::vector<double> scaleRange = {0.5, 2.0};  // random rescale factor on both image sides
  int64_t cropSize = 320;                       // square crop side in pixels
  bool flip = true;                             // random horizontal flip
  bool colorJitter = true;
  ColorJitterOptions jitter;
  std::vector<double> mean = {0.485, 0.456, 0.406};  // RGB, images scaled to [0, 1] first
  std::vector<double> std = {0.229, 0.224, 0.225};
  void describe(OptionTable& table);
};

// What a run reads besides images, masks and labels, and for which method: "" when nothing
// reads it, else the method's name ("aamr"), which errors and data-check name. The training
// code sets it from the configured methods, never the YAML, so a devkit without saliency maps
// or clicks serves every run that does not read them.
// Where image labels come from: Annotations/*.xml, the mask, or the XML where present.
enum class LabelSource { Auto, Xml, Mask };
inline const ChoiceNames<LabelSource>& choiceNames(LabelSource) {
  static const ChoiceNames<LabelSource> names = {
      {LabelSource::Auto, "auto"}, {LabelSource::Xml, "xml"}, {LabelSource::Mask, "mask"}};
  return names;
}

// What a sample that fails to load does: stop the run, or get logged once and skipped.
enum class OnError { Raise, Skip };
inline const ChoiceNames<OnError>& choiceNames(OnError) {
  static const ChoiceNames<OnError> names = {{OnError::Raise, "raise"}, {OnError::Skip, "skip"}};
  return names;
}

struct DataNeeds {
  std::string saliencyFor;  // reads <saliency_dir>/<id>.png
  std::string pointsFor;    // reads the clicks of points_file
  bool saliency() const { return !saliencyFor.empty(); }
  bool points() const { return !pointsFor.empty(); }
};

struct DataOptions {
  std::string root = "datasets/toy";  // folder holding JPEGImages, ImageSets, ...
  std::string trainSplit = "train_aug";
  std::string valSplit = "val";
  std::vector<std::string> classes;  // empty: <root>/classes.txt, else the 20 VOC classes
  LabelSource labelSource = LabelSource::Auto;
  std::vector<std::string> maskDirs = {"SegmentationClassAug", "SegmentationClass"};
  std::string saliencyDir = "SALImages";   // relative to root unless absolute
  std::string pointsFile = "points.json";  // relative to root unless absolute
  OnError onError = OnError::Raise;
  int64_t workers = 2;
  int64_t prefetch = 4;  // batches queued ahead per loader
  AugmentOptions augment;
  DataNeeds needs;  // not an option: derived from the run (see DataNeeds)
  void describe(OptionTable& table);
};

}  // namespace wsss
