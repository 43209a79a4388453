// The CUDA path computes what the CPU path computes: every refinement operator, CCI, every loss
// and one whole training step of each shipped toy config, the same inputs on both devices. In
// float32 with TF32 off, so the only differences are the order of sums: maps and losses agree
// to 1e-4 (relative 1e-4), gradients to a relative 1e-3 of their norm, and a whole step's loss
// terms to a relative 1e-3 and its gradient to 1e-2 (its pseudo-labels are thresholds of maps
// that differ in the last bits, so a pixel may change sides). Where no GPU is visible each test
// says so and checks nothing.
#include <ATen/Context.h>
#include <torch/torch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/class_maps.h"
#include "core/config/config_loader.h"
#include "data/data_loader.h"
#include "data/toy/toy_dataset.h"
#include "data/voc_dataset.h"
#include "losses/aamr_loss.h"
#include "losses/affinity_consistency_loss.h"
#include "losses/cam_target_loss.h"
#include "losses/classification_loss.h"
#include "losses/mam_loss.h"
#include "losses/point_loss.h"
#include "losses/rcm_loss.h"
#include "losses/segmentation_loss.h"
#include "models/refine/alpha_matting.h"
#include "models/refine/class_conditional_inference.h"
#include "models/refine/feature_affinity.h"
#include "models/refine/image_refinement.h"
#include "models/refine/neighbour_stencil.h"
#include "test_helpers.h"
#include "train/device_batch.h"
#include "train/experiment_config.h"
#include "train/pseudo/point_masks.h"
#include "train/pseudo/pseudo_label_folder.h"
#include "train/step/training_step.h"
#include "train/training_models.h"

namespace {

using wsss::test::TempDir;

// WSSS_AGREEMENT_ON_CPU=1 compares the CPU with itself: it runs these tests' own code on a
// machine without a GPU, and proves nothing about CUDA.
bool onCpuOnly() { return std::getenv("WSSS_AGREEMENT_ON_CPU") != nullptr; }

bool cudaVisible() {
  if (torch::cuda::is_available() || onCpuOnly()) return true;
  WARN("no CUDA device: the CPU-CUDA agreement is checked only where one is");
  return false;
}

// TF32 convolutions and products round to 10 mantissa bits; the agreement is about the code,
// not the precision mode, so they are off while a test runs.
class NoTf32 {
 public:
  NoTf32()
      : cudnn_(at::globalContext().allowTF32CuDNN()),
        cublas_(at::globalContext().allowTF32CuBLAS()) {
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
  }
  ~NoTf32() {
    at::globalContext().setAllowTF32CuDNN(cudnn_);
    at::globalContext().setAllowTF32CuBLAS(cublas_);
  }

 private:
  bool cudnn_, cublas_;
};

torch::Device cuda() {
  return onCpuOnly() ? torch::Device(torch::kCPU) : torch::Device(torch::kCUDA, 0);
}

void checkClose(const torch::Tensor& cpu, const torch::Tensor& onCuda, double tolerance,
                const std::string& what) {
  INFO(what
       << ": largest difference "
       << (cpu.to(torch::kFloat64) - onCuda.cpu().to(torch::kFloat64)).abs().max().item<double>());
  REQUIRE(cpu.sizes() == onCuda.sizes());
  CHECK(torch::allclose(cpu.to(torch::kFloat64), onCuda.cpu().to(torch::kFloat64), tolerance,
                        tolerance));
}

void checkGradientClose(const torch::Tensor& cpu, const torch::Tensor& onCuda,
                        const std::string& what) {
  REQUIRE(cpu.defined());
  REQUIRE(onCuda.defined());
  const double scale = std::max(cpu.norm().item<double>(), 1e-12);
  const double difference = (cpu - onCuda.cpu()).norm().item<double>();
  INFO(what << " gradient: |cpu - cuda| / |cpu| = " << difference / scale);
  CHECK(difference / scale < 1e-3);
}

// A loss of tensors, run on the CPU and on CUDA with the same inputs: the values agree, and so
// do the gradients of every input that needs one.
void checkLossAgrees(const std::string& name, const std::vector<torch::Tensor>& inputs,
                     const std::vector<bool>& needsGradient,
                     const std::function<torch::Tensor(const std::vector<torch::Tensor>&)>& loss) {
  std::vector<torch::Tensor> onCpu, onGpu;
  for (size_t index = 0; index < inputs.size(); ++index) {
    onCpu.push_back(inputs[index].clone().set_requires_grad(needsGradient[index]));
    onGpu.push_back(inputs[index].to(cuda()).set_requires_grad(needsGradient[index]));
  }
  const torch::Tensor cpuValue = loss(onCpu);
  const torch::Tensor gpuValue = loss(onGpu);
  REQUIRE(gpuValue.device() == cuda());
  checkClose(cpuValue.detach(), gpuValue.detach(), 1e-4, name);
  if (cpuValue.requires_grad()) {
    cpuValue.sum().backward();
    gpuValue.sum().backward();
    for (size_t index = 0; index < inputs.size(); ++index) {
      if (needsGradient[index]) {
        checkGradientClose(onCpu[index].grad(), onGpu[index].grad(),
                           name + " input " + std::to_string(index));
      }
    }
  }
}

torch::Tensor unitEmbedding(int64_t images, int64_t dims, int64_t height, int64_t width) {
  return torch::nn::functional::normalize(torch::randn({images, dims, height, width}),
                                          torch::nn::functional::NormalizeFuncOptions().dim(1));
}

torch::Tensor twoClassLabels() {
  return torch::tensor({{1.f, 0.f, 1.f, 0.f}, {0.f, 1.f, 0.f, 0.f}, {0.f, 0.f, 1.f, 1.f}});
}

}  // namespace

TEST_CASE("CUDA agreement: the refinement operators", "[cuda][refine]") {
  if (!cudaVisible()) return;
  const NoTf32 exact;
  torch::manual_seed(11);
  const torch::Tensor image = torch::rand({3, 3, 56, 72});
  const torch::Tensor labels = twoClassLabels();
  const torch::Tensor maps = torch::rand({3, 4, 56, 72}) * labels.unsqueeze(-1).unsqueeze(-1);
  torch::Tensor valid = torch::ones({3, 1, 56, 72}, torch::kBool);
  valid[1].narrow(2, 40, 32).fill_(false);
  const wsss::ImageRefinementOptions options;
  const auto offsets = wsss::stencilOffsets(options.dilations, false);

  checkClose(wsss::refinementKernel(image, valid, offsets, options),
             wsss::refinementKernel(image.to(cuda()), valid.to(cuda()), offsets, options), 1e-4,
             "refinementKernel");
  checkClose(wsss::refineWithImage(image, maps, valid, options),
             wsss::refineWithImage(image.to(cuda()), maps.to(cuda()), valid.to(cuda()), options),
             1e-4, "refineWithImage");
  checkClose(wsss::refinePresentClasses(image, maps, labels, valid, options),
             wsss::refinePresentClasses(image.to(cuda()), maps.to(cuda()), labels.to(cuda()),
                                        valid.to(cuda()), options),
             1e-4, "refinePresentClasses");

  const torch::Tensor features = torch::randn({3, 16, 28, 36});
  const torch::Tensor smallValid = valid.narrow(2, 0, 28).narrow(3, 0, 36).contiguous();
  const auto affinityOffsets = wsss::stencilOffsets({1, 2, 4}, true);
  const torch::Tensor affinity = wsss::featureAffinity(features, smallValid, affinityOffsets, 0.1);
  const torch::Tensor gpuAffinity =
      wsss::featureAffinity(features.to(cuda()), smallValid.to(cuda()), affinityOffsets, 0.1);
  checkClose(affinity, gpuAffinity, 1e-4, "featureAffinity");
  const torch::Tensor smallMaps = torch::rand({3, 4, 28, 36});
  checkClose(wsss::propagateByAffinity(smallMaps, affinity, affinityOffsets, 3),
             wsss::propagateByAffinity(smallMaps.to(cuda()), gpuAffinity, affinityOffsets, 3), 1e-4,
             "propagateByAffinity");
  checkClose(wsss::resizeMaps(smallMaps, 56, 72), wsss::resizeMaps(smallMaps.to(cuda()), 56, 72),
             1e-5, "resizeMaps");
  checkClose(wsss::resizeByMatrices(smallMaps, 56, 72),
             wsss::resizeByMatrices(smallMaps.to(cuda()), 56, 72), 1e-5, "resizeByMatrices");

  // Matting: the same trimaps, and the same alpha after a fixed number of steps (a tolerance
  // no step reaches, so both devices stop at max_iterations and not one step apart).
  const wsss::TrimapOptions trimapOptions;
  const torch::Tensor trimaps = wsss::makeTrimaps(maps, labels, valid, trimapOptions);
  const torch::Tensor gpuTrimaps =
      wsss::makeTrimaps(maps.to(cuda()), labels.to(cuda()), valid.to(cuda()), trimapOptions);
  CHECK(trimaps.equal(gpuTrimaps.cpu()));
  const auto alpha = wsss::propagateAlpha(image, trimaps, valid, options, 1e-12, 30);
  const auto gpuAlpha =
      wsss::propagateAlpha(image.to(cuda()), gpuTrimaps, valid.to(cuda()), options, 1e-12, 30);
  CHECK(alpha.iterations == gpuAlpha.iterations);
  checkClose(alpha.alpha, gpuAlpha.alpha, 1e-4, "propagateAlpha");
}

TEST_CASE("CUDA agreement: class-conditional inference", "[cuda][cci]") {
  if (!cudaVisible()) return;
  const NoTf32 exact;
  torch::manual_seed(12);
  // A fixed random classifier: a 3 x 3 convolution and a stride-4 pooling, 4 classes.
  const torch::Tensor weight = torch::randn({4, 3, 3, 3});
  const auto classifierOn = [&](const torch::Device& device) {
    const torch::Tensor onDevice = weight.to(device);
    return [onDevice](const torch::Tensor& images) {
      return torch::avg_pool2d(torch::conv2d(images, onDevice, {}, 1, 1), 4);
    };
  };
  const torch::Tensor images = torch::randn({2, 3, 64, 80});
  const torch::Tensor labels = torch::tensor({{1.f, 0.f, 1.f, 0.f}, {0.f, 1.f, 0.f, 0.f}});
  checkClose(wsss::multiScaleClassMaps(classifierOn(torch::kCPU), images, labels, {},
                                       {1.0, 0.5, 1.5}, true),
             wsss::multiScaleClassMaps(classifierOn(cuda()), images.to(cuda()), labels.to(cuda()),
                                       {}, {1.0, 0.5, 1.5}, true),
             1e-4, "multiScaleClassMaps");
  const wsss::CciOptions options;
  const torch::Tensor cpu =
      wsss::classConditionalMaps(classifierOn(torch::kCPU), images[0], labels[0], options);
  const torch::Tensor gpu = wsss::classConditionalMaps(classifierOn(cuda()), images[0].to(cuda()),
                                                       labels[0].to(cuda()), options);
  // Erasing is a threshold of the maps: a pixel right at it may go either way, so the maps
  // agree everywhere but on a sliver.
  const double disagreeing =
      ((cpu - gpu.cpu()).abs() > 1e-3).to(torch::kFloat64).mean().item<double>();
  INFO("classConditionalMaps: fraction of pixels that differ by more than 1e-3: " << disagreeing);
  CHECK(disagreeing < 0.01);
}

TEST_CASE("CUDA agreement: every loss", "[cuda][losses]") {
  if (!cudaVisible()) return;
  const NoTf32 exact;
  torch::manual_seed(13);
  const torch::Tensor labels = twoClassLabels();

  checkLossAgrees("L_cls", {torch::randn({3, 4}), labels}, {true, false},
                  [](const auto& in) { return wsss::multilabelSoftMarginLoss(in[0], in[1]); });

  torch::Tensor target = torch::randint(0, 5, {3, 24, 32}, torch::kInt64);
  target.masked_fill_(torch::rand({3, 24, 32}).lt(0.2), 255);
  for (const bool balanced : {true, false}) {
    checkLossAgrees(
        std::string("L_seg balanced ") + (balanced ? "on" : "off"),
        {torch::randn({3, 5, 24, 32}), target}, {true, false},
        [balanced](const auto& in) { return wsss::segmentationLoss(in[0], in[1], balanced); });
  }

  // RCM: region labels and prototypes from SupportNet-like maps, with a memory.
  const torch::Tensor scores = torch::rand({3, 4, 24, 32}) * labels.unsqueeze(-1).unsqueeze(-1);
  const torch::Tensor support = unitEmbedding(3, 16, 24, 32);
  const torch::Tensor memorySum = torch::randn({5, 16});
  const torch::Tensor memoryCount = torch::tensor({2.f, 1.f, 0.f, 3.f, 1.f});
  checkLossAgrees("L_rcm", {unitEmbedding(3, 16, 24, 32), scores, support, memorySum, memoryCount},
                  {true, false, false, false, false}, [](const auto& in) {
                    const torch::Tensor regions = wsss::regionLabels(in[1], 0.3, 0.1);
                    const auto prototypes = wsss::leaveOneOutPrototypes(
                        wsss::imagePrototypes(in[2], regions, 5), in[3], in[4]);
                    return wsss::rcmLoss(in[0], prototypes, regions, 0.5);
                  });

  checkLossAgrees("L_mam",
                  {torch::rand({3, 4, 24, 32}), torch::rand({3, 4, 24, 32}),
                   torch::rand({3, 4, 24, 32}), torch::rand({3, 4, 24, 32})},
                  {true, true, false, false}, [](const auto& in) {
                    return wsss::mamLoss({in[0], in[1]}, {in[2], in[3]});
                  });

  const torch::Tensor valid = torch::rand({3, 1, 24, 32}).gt(0.1);
  checkLossAgrees("L_affc", {torch::rand({3, 4, 24, 32}), torch::rand({3, 4, 24, 32}), valid},
                  {true, false, false}, [](const auto& in) {
                    return wsss::affinityConsistencyLoss(in[0], in[1], in[2]);
                  });

  torch::Tensor camTarget = torch::randint(0, 5, {3, 24, 32}, torch::kInt64);
  checkLossAgrees("L_cam_target", {torch::rand({3, 4, 24, 32}) * 0.99, labels, camTarget},
                  {true, false, false}, [](const auto& in) {
                    const torch::Tensor masked = in[0] * in[1].unsqueeze(-1).unsqueeze(-1);
                    return torch::nn::functional::cross_entropy(
                        wsss::camTargetLogits(masked, in[1]), in[2]);
                  });

  checkLossAgrees(
      "L_aamr", {torch::randn({3, 5, 24, 32}), scores, torch::rand({3, 1, 24, 32}), labels, valid},
      {true, false, false, false, false}, [](const auto& in) {
        const wsss::AamrOptions options;
        return wsss::aamrLoss(in[0], wsss::aamrTarget(in[1], in[2], in[3], in[4], options));
      });

  // Clicks of every image, one near a border, one background click.
  const torch::Tensor points = torch::tensor({0.f, 3.f, 4.f, 1.f, 1.f,    //
                                              0.f, 20.f, 30.f, 2.f, 1.f,  //
                                              1.f, 12.f, 1.f, 0.f, 1.f,   //
                                              2.f, 23.f, 16.f, 4.f, 1.f})
                                   .view({4, 5});
  checkLossAgrees("L_point", {torch::randn({3, 5, 24, 32}), points, valid}, {true, false, false},
                  [](const auto& in) { return wsss::pointLoss(in[0], in[1], 2, in[2]); });

  // The point pseudo-masks: cosine maps, refinement, spatial filter and the per-class max.
  const torch::Tensor features = torch::rand({3, 16, 6, 8});
  const torch::Tensor image = torch::rand({3, 3, 24, 32});
  for (const bool refine : {false, true}) {
    wsss::PointOptions options;
    options.refine = refine;
    const wsss::PointScores onCpu =
        wsss::pointScores(features, points, image, valid, 4, options, {});
    const wsss::PointScores onGpu = wsss::pointScores(
        features.to(cuda()), points.to(cuda()), image.to(cuda()), valid.to(cuda()), 4, options, {});
    const std::string what = std::string("point masks, refine ") + (refine ? "on" : "off");
    checkClose(onCpu.scores, onGpu.scores, 1e-4, what + ", classes");
    checkClose(onCpu.background, onGpu.background, 1e-4, what + ", background");
  }
}

TEST_CASE("CUDA agreement: one training step of each shipped toy config", "[cuda][step]") {
  if (!cudaVisible()) return;
  const NoTf32 exact;
  TempDir dir("cuda_agreement_step");
  wsss::ToyDatasetOptions toy;
  toy.out = (dir / "toy").string();
  toy.trainImages = 16;
  toy.valImages = 2;
  wsss::writeToyDataset(toy);

  for (const std::string name :
       {"baseline", "pss", "selfguided", "aamr", "full", "points", "matlabel"}) {
    INFO("configs/toy/" << name << ".yaml");
    wsss::ExperimentConfig config = wsss::readConfig<wsss::ExperimentConfig>(
        (wsss::test::sourceDir() / "configs/toy" / (name + ".yaml")).string(),
        {"data.root=" + toy.out, "data.workers=0", "train.amp=false", "train.channels_last=false",
         "train.batch_size=4"});
    const auto dataset = std::make_shared<const wsss::VocDataset>(wsss::trainingDataOptions(config),
                                                                  config.data.trainSplit);
    wsss::DataLoader loader(dataset,
                            wsss::loaderOptionsFor(config.data, config.train.batchSize, true, 0));
    const wsss::Batch batch = *loader.next();
    // The last step: every warm-up is over, so every term of the config is on.
    const int64_t iteration = config.train.iterations - 1;

    const auto stepOn = [&](const torch::Device& device) {
      torch::manual_seed(static_cast<uint64_t>(config.seed));
      wsss::TrainingModels models =
          wsss::buildTrainingModels(config, dataset->numClasses(), device, false);
      const wsss::LossTerms losses = wsss::forwardLosses(
          models, wsss::batchToDevice(batch, device, false), config, iteration, device);
      losses.total.backward();
      std::vector<torch::Tensor> gradients;
      for (const auto& parameter : models.network->parameters()) {
        gradients.push_back(parameter.grad().defined() ? parameter.grad().flatten().cpu()
                                                       : torch::zeros({parameter.numel()}));
      }
      return std::make_pair(wsss::lossValues(losses), torch::cat(gradients));
    };
    const auto [cpuValues, cpuGradient] = stepOn(torch::kCPU);
    const auto [gpuValues, gpuGradient] = stepOn(cuda());
    REQUIRE(cpuValues.size() == gpuValues.size());
    for (size_t index = 0; index < cpuValues.size(); ++index) {
      INFO(cpuValues[index].first << ": cpu " << cpuValues[index].second << ", cuda "
                                  << gpuValues[index].second);
      CHECK(gpuValues[index].first == cpuValues[index].first);
      CHECK(std::abs(gpuValues[index].second - cpuValues[index].second) <=
            1e-3 * std::max(1.0, std::abs(cpuValues[index].second)));
    }
    const double relative =
        (cpuGradient - gpuGradient).norm().item<double>() / cpuGradient.norm().item<double>();
    INFO("gradient: |cpu - cuda| / |cpu| = " << relative);
    CHECK(relative < 1e-2);
  }
}
