// The training step against PyTorch eager: tests/reference/step_reference.py rebuilds the
// network from our checkpoint by name and runs the same step (forward, CAM pseudo-labels,
// L_cls + L_seg, backward, optimiser step at the trainer's learning rates) on the same batch.
// It fails when a forward output (embed, cam, logits, seg) or a loss term differs by more than
// 1e-4, a gradient by more than 1e-4 of its largest magnitude, or a parameter after the step by
// more than 1e-6 (absolute). On one thread both sides run the same kernels in the same order
// and agree bit for bit; the tolerances leave room for another summation order elsewhere.
#include <torch/torch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config/config_loader.h"
#include "test_helpers.h"
#include "train/checkpoints/checkpoint.h"
#include "train/experiment_config.h"
#include "train/loop/lr_schedule.h"
#include "train/loop/optimizer_factory.h"
#include "train/step/training_step.h"
#include "train/training_models.h"

namespace {

using wsss::test::TempDir;
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// A dict of tensors in the zip format of torch.save, which Python's torch.load reads.
void writeTensors(const std::filesystem::path& file, const NamedTensors& tensors) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [name, tensor] : tensors) {
    dict.insert(name, tensor.detach().to(torch::kCPU).contiguous());
  }
  const std::vector<char> bytes = torch::pickle_save(dict);
  std::ofstream out(file, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A config of configs/, in the source tree (WSSS_SOURCE_DIR in the environment names another
// one, as for the test binary of a relocated tree).
wsss::ExperimentConfig shippedConfig(const std::string& relative,
                                     const std::vector<std::string>& overrides) {
  const char* source = std::getenv("WSSS_SOURCE_DIR");
  const std::string root = source && *source ? source : WSSS_SOURCE_DIR;
  return wsss::readConfig<wsss::ExperimentConfig>(root + "/" + relative, overrides);
}

// A randomly initialised ResNet's frozen BatchNorm (mean 0, variance 1) lets activations grow
// block after block; statistics gathered on random images, and affine parameters away from
// 1 and 0, keep them at the scale of a pretrained network, so that the comparison is not of
// saturated sigmoids, and the frozen buffers and weights matter.
void calibrateBatchNorm(wsss::WsssNetwork& network, const torch::Tensor& images) {
  torch::NoGradGuard noGrad;
  std::vector<torch::nn::BatchNorm2dImpl*> layers;
  for (auto& module : network->backbone().modules(/*include_self=*/false)) {
    if (auto* norm = module->as<torch::nn::BatchNorm2dImpl>()) {
      norm->weight.uniform_(0.5, 1.5);
      norm->bias.normal_(0.0, 0.1);
      norm->options.momentum(std::nullopt);  // a cumulative average over the batch
      norm->train();
      layers.push_back(norm);
    }
  }
  network->backbone().forward(images);
  for (auto* norm : layers) norm->options.momentum(0.1);
  network->train();  // frozen again
}

// Step `iteration` of `config` on `batch` in C++, from a seeded network saved as the
// checkpoint the script reads, with everything the script compares, written into `dir`. The
// forward outputs come from a second, gradient-free forward pass before the step; it moves
// only the running statistics of the heads' BatchNorm, which train-mode outputs do not read
// (the backbones are GroupNorm or frozen BatchNorm).
void writeStep(const std::filesystem::path& dir, const wsss::ExperimentConfig& config,
               const wsss::Batch& batch, int64_t iteration) {
  const int64_t classes = batch.labels.size(1);
  torch::manual_seed(static_cast<uint64_t>(config.seed));
  wsss::TrainingModels models = wsss::buildTrainingModels(config, classes, torch::kCPU, false);
  if (models.network->options().isResNet()) {
    calibrateBatchNorm(models.network, torch::randn({4, 3, 64, 64}));
  }
  auto optimizer = wsss::makeOptimizer(models.network, config.train);
  wsss::TrainingProgress progress;
  progress.iteration = iteration;
  progress.configYaml = wsss::experimentYaml(config);
  wsss::saveCheckpoint((dir / "checkpoint.pt").string(), *models.network, nullptr, progress);
  writeTensors(dir / "batch.pt",
               {{"image", batch.image}, {"labels", batch.labels}, {"crop_box", batch.cropBox}});

  NamedTensors results;
  {
    torch::NoGradGuard noGrad;
    const wsss::NetworkOutputs outputs = models.network->forward(batch.image, true);
    results.insert(results.end(), {{"out.embed", outputs.embed},
                                   {"out.cam", outputs.cam},
                                   {"out.logits", outputs.logits},
                                   {"out.seg", outputs.seg}});
  }
  // The trainer's learning rates for this step: group 0 the backbone, group 1 the heads.
  const double factor = wsss::learningRateFactor(iteration, config.train);
  const double scales[] = {1.0, config.train.headLrScale};
  for (size_t group = 0; group < optimizer->param_groups().size(); ++group) {
    optimizer->param_groups()[group].options().set_lr(config.train.lr * scales[group] * factor);
  }
  const wsss::LossTerms losses = wsss::forwardLosses(models, batch, config, iteration, torch::kCPU);
  const auto names = wsss::test::termNames(losses);
  REQUIRE(std::find(names.begin(), names.end(), "seg") != names.end());  // past the warm-up
  for (const auto& [name, term] : losses.terms) results.emplace_back("loss." + name, term);
  results.emplace_back("loss.total", losses.total);
  optimizer->zero_grad();
  losses.total.backward();
  optimizer->step();

  // Gradients and stepped values of the backbone's first, middle and last trainable
  // parameters and of every head parameter (the heads are narrow here).
  std::vector<std::string> backbone;
  for (const auto& parameter : models.network->named_parameters()) {
    if (parameter.key().rfind("backbone.", 0) == 0 && parameter.value().requires_grad()) {
      backbone.push_back(parameter.key());
    }
  }
  REQUIRE(!backbone.empty());
  const std::vector<std::string> picked = {backbone.front(), backbone[backbone.size() / 2],
                                           backbone.back()};
  for (const auto& parameter : models.network->named_parameters()) {
    const std::string& name = parameter.key();
    const bool head = name.rfind("backbone.", 0) != 0;
    if (!head && std::find(picked.begin(), picked.end(), name) == picked.end()) continue;
    if (!parameter.value().grad().defined()) continue;
    results.emplace_back("grad." + name, parameter.value().grad());
    results.emplace_back("param." + name, parameter.value());
  }
  writeTensors(dir / "cpp.pt", results);
}

}  // namespace

// The from-scratch network of configs/toy/baseline.yaml at the test's tiny widths (AdamW, one
// learning rate for all); ResNet-50 at output stride 16 with frozen BatchNorm from
// configs/voc/baseline.yaml with narrow heads (SGD, 10x for the heads, inside the learning-rate
// warm-up); and the toy self-guided step (the image-guided refinement of the pseudo-labels and
// L_affc). ASPP rates that the small maps leave partly inside and partly past the map run both
// of the head's 3x3 paths; the second image's padding makes the crop box count. One run of the
// script checks all three (its start, importing torch, is most of the time).
TEST_CASE("the training step matches PyTorch eager (tests/reference/step_reference.py)",
          "[train][reference]") {
  // One thread on both sides: the suite runs tests side by side on few cores, where several
  // threads per process wait on each other.
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  TempDir scratch("step_reference_scratch");
  TempDir resnet("step_reference_resnet50");
  TempDir selfguided("step_reference_selfguided");
  {
    const wsss::ExperimentConfig config = shippedConfig(
        "configs/toy/baseline.yaml", {"device=cpu", "model.scratch_width=8", "model.embed_dim=16",
                                      "model.seg_channels=16", "model.aspp_rates=[1,2,6]"});
    torch::manual_seed(11);
    const wsss::Batch batch = wsss::test::paddedRandomBatch(3, 4);
    // Step 250 of 1000: past the learning-rate warm-up (50) and the L_seg warm-up (200).
    writeStep(scratch.path(), config, batch, 250);
  }
  {
    const wsss::ExperimentConfig config =
        shippedConfig("configs/voc/baseline.yaml",
                      {"device=cpu", "model.pretrained=", "model.embed_dim=32",
                       "model.seg_channels=32", "model.aspp_rates=[2,6]", "seg.warmup_iters=0"});
    torch::manual_seed(12);
    wsss::Batch batch = wsss::test::paddedRandomBatch(2, 5);
    batch.image = torch::randn({2, 3, 64, 80});
    batch.cropBox = torch::tensor({0, 0, 64, 80, 8, 0, 64, 56}, torch::kLong).view({2, 4});
    batch.labels[1][3] = 1;  // two classes in the second image
    // Step 1000 of 20000: inside the 1500-step learning-rate warm-up.
    writeStep(resnet.path(), config, batch, 1000);
  }
  {
    const wsss::ExperimentConfig config = shippedConfig(
        "configs/toy/selfguided.yaml",
        {"device=cpu", "model.scratch_width=8", "model.embed_dim=16", "model.seg_channels=16"});
    torch::manual_seed(13);
    const wsss::Batch batch = wsss::test::paddedRandomBatch(3, 4);
    writeStep(selfguided.path(), config, batch, 250);
  }
  torch::set_num_threads(threads);
  std::string folders;
  for (const TempDir* dir : {&scratch, &resnet, &selfguided}) {
    folders += " --dir '" + dir->path().string() + "'";
  }
  const auto result =
      wsss::test::runReferenceScript("step_reference.py", "check --threads 1" + folders);
  INFO(result.output);
  REQUIRE(result.exitCode == 0);
}
