// `wsss predict`: a trained network on one's own images, any size: per image a VOC-palette
// label PNG, the labels' colours over the image, and with --cams each predicted class's CAM as
// a heat map over it. Inference as evaluation's (eval.scales, eval.flip, eval.crf); images of
// one size go through the network together.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <set>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/text.h"
#include "data/augment.h"
#include "data/collate.h"
#include "data/image_io.h"
#include "data/label_png.h"
#include "data/overlays.h"
#include "data/voc_classes.h"
#include "train/checkpoints/checkpoint.h"
#include "train/commands/commands.h"
#include "train/commands/experiment_setup.h"
#include "train/commands/run_paths.h"
#include "train/evaluation/image_prediction.h"
#include "train/run_device.h"
#include "train/training_models.h"

namespace wsss {

namespace {

namespace fs = std::filesystem;

bool isImageFile(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".jpg" || extension == ".jpeg" || extension == ".png";
}

// The images named by --input: files, folders (their JPEG and PNG files, sorted) and list
// files (.txt: one path a line, relative to the list's folder).
std::vector<fs::path> collectInputs(const std::vector<std::string>& inputs) {
  std::vector<fs::path> images;
  for (const std::string& input : inputs) {
    const fs::path path(input);
    WSSS_CHECK(fs::exists(path), "--input ", input, " does not exist");
    if (fs::is_directory(path)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::directory_iterator(path)) {
        if (entry.is_regular_file() && isImageFile(entry.path())) found.push_back(entry.path());
      }
      std::sort(found.begin(), found.end());
      WSSS_CHECK(!found.empty(), "--input ", input, " holds no .jpg, .jpeg or .png file");
      images.insert(images.end(), found.begin(), found.end());
    } else if (path.extension() == ".txt") {
      std::ifstream list(path);
      WSSS_CHECK(list, "cannot read the list file ", input);
      std::string line;
      while (std::getline(list, line)) {
        line = trim(line);
        if (line.empty()) continue;
        const fs::path listed(line);
        images.push_back(listed.is_absolute() ? listed : path.parent_path() / listed);
      }
    } else {
      images.push_back(path);
    }
  }
  WSSS_CHECK(!images.empty(), "--input names no image");
  return images;
}

// Output names: the file's stem, with -2, -3, ... where two inputs share one.
std::vector<std::string> outputNames(const std::vector<fs::path>& images) {
  std::map<std::string, int> seen;
  std::vector<std::string> names;
  for (const fs::path& image : images) {
    const std::string stem = image.stem().string();
    const int count = ++seen[stem];
    names.push_back(count == 1 ? stem : stem + "-" + std::to_string(count));
  }
  return names;
}

// An RGB image as a JPEG, atomically.
void writeJpeg(const fs::path& path, const cv::Mat& rgb) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> bytes;
  WSSS_CHECK(cv::imencode(".jpg", bgr, bytes, {cv::IMWRITE_JPEG_QUALITY, 90}),
             "could not encode ", path.string());
  writeFileAtomically(path.string(), std::string(bytes.begin(), bytes.end()));
}

struct PendingImage {
  size_t index = 0;  // into the inputs
  cv::Mat rgb;       // the image as read
  AugmentedSample sample;
};

class Predictor {
 public:
  Predictor(const ExperimentConfig& config, TrainingModels& models, torch::Device device,
            fs::path outDir, bool cams, std::vector<std::string> classNames)
      : config_(config),
        models_(models),
        device_(device),
        outDir_(std::move(outDir)),
        cams_(cams),
        classNames_(std::move(classNames)),
        augmenter_(config.data.augment, false) {}

  // Runs `images` (one size) through the network and writes their files.
  void run(std::vector<PendingImage>& images, const std::vector<std::string>& names) {
    std::vector<AugmentedSample> samples;
    for (PendingImage& image : images) samples.push_back(image.sample);
    const Batch batch =
        collate(std::move(samples), static_cast<int64_t>(classNames_.size()), false);
    const ImagePredictions predictions =
        predictImages(models_.network, batch.image.to(device_), config_, device_);
    for (size_t row = 0; row < images.size(); ++row) {
      const auto index = static_cast<int64_t>(row);
      const std::string& name = names[images[row].index];
      const cv::Mat labels = labelsToMat(predictions.labels[index]);
      writeLabelPng((outDir_ / (name + ".png")).string(), labels);
      writeJpeg(outDir_ / (name + "_overlay.jpg"), labelOverlay(images[row].rgb, labels));
      if (!cams_) continue;
      // The classes the prediction holds (label c + 1 is CAM channel c).
      const torch::Tensor present = std::get<0>(at::_unique(predictions.labels[index].cpu()));
      for (int64_t k = 0; k < present.numel(); ++k) {
        const int64_t label = present[k].item<int64_t>();
        if (label < 1 || label > static_cast<int64_t>(classNames_.size())) continue;
        const cv::Mat cam = mapToMat(predictions.cams[index][label - 1]);
        writeJpeg(outDir_ / (name + "_cam_" + classNames_[static_cast<size_t>(label - 1)] + ".jpg"),
                  heatMapOverlay(images[row].rgb, cam));
      }
    }
  }

  AugmentedSample normalise(const std::string& id, const cv::Mat& rgb) {
    Sample sample;
    sample.id = id;
    sample.image = rgb;
    sample.labels.assign(classNames_.size(), 0);
    return augmenter_.apply(sample, rng_);
  }

 private:
  const ExperimentConfig& config_;
  TrainingModels& models_;
  torch::Device device_;
  fs::path outDir_;
  bool cams_;
  std::vector<std::string> classNames_;
  Augmenter augmenter_;
  std::mt19937_64 rng_{0};  // evaluation augmentation draws nothing
};

}  // namespace

Command predictCommand() {
  Command command;
  command.name = "predict";
  command.summary = "label one's own images with a trained network: PNGs, overlays, CAMs";
  FlagSpec checkpoint{"checkpoint", "CKPT", "the trained network (e.g. runs/x/checkpoints/best.pt)"};
  checkpoint.required = true;
  FlagSpec input{"input", "PATH...",
                 "images: files, folders (their .jpg/.jpeg/.png) or .txt lists of paths (one a "
                 "line, relative to the list)"};
  input.required = true;
  input.manyValues = true;
  command.flags = {configFlag(),
                   checkpoint,
                   input,
                   {"out", "DIR", "where the files go (default <run>/predict)"},
                   {"cams", "", "also write each predicted class's CAM over the image"},
                   {"batch", "N", "images of one size run together, up to N (default 4)"}};
  command.acceptsOverrides = true;
  command.run = [](const ParsedArguments& arguments) {
    const ExperimentConfig config = loadExperiment(arguments);
    WSSS_CHECK(arguments.has("checkpoint"), "missing --checkpoint CKPT: the trained network");
    WSSS_CHECK(arguments.has("input"), "missing --input PATH...: the images to label");
    const std::string checkpointPath = arguments.text("checkpoint");
    const int64_t batchSize = arguments.integer("batch", 4);
    WSSS_CHECK(batchSize >= 1, "--batch must be at least 1, got ", batchSize);
    const std::vector<fs::path> inputs = collectInputs(arguments.texts("input"));
    const std::vector<std::string> names = outputNames(inputs);
    const fs::path outDir = arguments.text(
        "out", (fs::path(runDirOfCheckpoint(checkpointPath)) / "predict").string());
    fs::create_directories(outDir);

    const torch::Device device = resolveDevice(config.device);
    const std::vector<std::string> classNames = resolveClassNames(config.data);
    CheckpointFile file(checkpointPath, device);
    checkModelMatches(checkpointPath, file.progress(), config);
    // Every weight comes from the checkpoint; the pretrained file is not needed.
    TrainingModels models =
        buildTrainingModels(config, static_cast<int64_t>(classNames.size()), device, false);
    file.load(*models.network, nullptr, false, {});
    Predictor predictor(config, models, device, outDir, arguments.has("cams"), classNames);

    logInfo("predicting " + std::to_string(inputs.size()) + " images into " + outDir.string());
    const auto start = std::chrono::steady_clock::now();
    int64_t done = 0, skipped = 0;
    auto lastReport = start;
    std::map<std::pair<int, int>, std::vector<PendingImage>> bySize;
    const auto runGroup = [&](std::vector<PendingImage>& group) {
      predictor.run(group, names);
      done += static_cast<int64_t>(group.size());
      group.clear();
      const auto now = std::chrono::steady_clock::now();
      if (now - lastReport > std::chrono::seconds(2) ||
          done + skipped == static_cast<int64_t>(inputs.size())) {
        const double seconds = std::chrono::duration<double>(now - start).count();
        std::ostringstream line;
        line.precision(1);
        line << std::fixed << "predicted " << done << "/" << inputs.size() << " images ("
             << static_cast<double>(done) / std::max(seconds, 1e-9) << " images/s)";
        logInfo(line.str());
        lastReport = now;
      }
    };
    for (size_t index = 0; index < inputs.size(); ++index) {
      PendingImage image;
      image.index = index;
      try {
        image.rgb = readRgbImage(inputs[index].string());
      } catch (const Error& error) {
        if (config.data.onError != OnError::Skip) {
          for (auto& [size, held] : bySize) {
            if (!held.empty()) runGroup(held);
          }
          throw Error(std::string(error.what()) +
                      " (the files of the images before it are written; data.on_error=skip "
                      "passes over unreadable images)");
        }
        logWarning("skipped " + inputs[index].string() + ": " + error.what());
        ++skipped;
        continue;
      }
      image.sample = predictor.normalise(names[index], image.rgb);
      std::vector<PendingImage>& group = bySize[{image.rgb.rows, image.rgb.cols}];
      group.push_back(std::move(image));
      if (static_cast<int64_t>(group.size()) == batchSize) runGroup(group);
      // Many sizes (VOC has hundreds) would hold many images back: past a few batches' worth,
      // the partial groups go through as they are.
      int64_t waiting = 0;
      for (const auto& [size, held] : bySize) waiting += static_cast<int64_t>(held.size());
      if (waiting >= 4 * batchSize) {
        for (auto& [size, held] : bySize) {
          if (!held.empty()) runGroup(held);
        }
      }
    }
    for (auto& [size, group] : bySize) {
      if (!group.empty()) runGroup(group);
    }
    logInfo("done: " + std::to_string(done) + " images labelled in " + outDir.string() +
            (skipped > 0 ? ", " + std::to_string(skipped) + " unreadable skipped" : ""));
    return 0;
  };
  return command;
}

}  // namespace wsss
