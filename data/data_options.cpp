#include "data/data_options.h"

#include "core/config/option_table.h"

namespace wsss {

void ColorJitterOptions::describe(OptionTable& table) {
  table.field("brightness", brightness, "brightness factor drawn from [1-b, 1+b]").atLeast(0);
  table.field("contrast", contrast, "contrast factor drawn from [1-c, 1+c]").atLeast(0);
  table.field("saturation", saturation, "saturation factor drawn from [1-s, 1+s]").atLeast(0);
  table.field("hue", hue, "hue shift drawn from [-h, h] of a full turn").atLeast(0).atMost(0.5);
  table.field("probability", probability, "chance that an image is jittered").atLeast(0).atMost(1);
}

void AugmentOptions::describe(OptionTable& table) {
  table.field("scale_range", scaleRange, "random rescale factor [low, high] of the image size")
      .length(2, 2)
      .atLeast(0.01)
      .rule([this] {
        return scaleRange.size() == 2 && scaleRange[0] > scaleRange[1]
                   ? std::string("low must not exceed high")
                   : std::string();
      });
  table.field("crop_size", cropSize, "side of the square training crop in pixels").atLeast(8);
  table.field("flip", flip, "random horizontal flip");
  table.field("color_jitter", colorJitter, "random colour jitter on the image");
  table.section("jitter", jitter, "colour jitter strengths");
  table.field("mean", mean, "RGB mean subtracted after scaling pixels to [0, 1]").length(3, 3);
  table.field("std", std, "RGB standard deviation divided after the mean")
      .length(3, 3)
      .atLeast(1e-6);
}

void DataOptions::describe(OptionTable& table) {
  table.field("root", root, "dataset folder holding JPEGImages, ImageSets, ...").nonEmpty();
  table.field("train_split", trainSplit, "split list for training (ImageSets/Segmentation)")
      .nonEmpty();
  table.field("val_split", valSplit, "split list for evaluation").nonEmpty();
  table.field("classes", classes,
              "class names in index order; empty: <root>/classes.txt, else the 20 VOC classes");
  table.choice("label_source", labelSource,
               "image labels from Annotations/*.xml, from the mask, or XML where present");
  table.field("mask_dirs", maskDirs, "mask folders under root, searched in order").length(1, 16);
  // Read only for a method that uses them (DataNeeds): aamr reads saliency maps.
  table.field("saliency_dir", saliencyDir, "folder of saliency maps <id>.png, relative to root")
      .nonEmpty();
  table.field("points_file", pointsFile, "What's-the-Point JSON, relative to root").nonEmpty();
  table.removed("saliency",
                "removed: saliency maps are read when a method that uses them is on (aamr), "
                "from data.saliency_dir; delete this key");
  table.removed("points",
                "removed: clicks are read from data.points_file when a method that uses them "
                "is on; delete this key");
  table.choice("on_error", onError,
               "a bad image stops the run (raise) or is logged once and skipped (skip)");
  table.field("workers", workers, "loader threads (0: load in the training thread)").atLeast(0);
  table.field("prefetch", prefetch, "batches prepared ahead of training").atLeast(1);
  table.section("augment", augment, "training augmentation");
}

}  // namespace wsss
