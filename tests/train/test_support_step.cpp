// A training step with SupportNet, RCM and MAM switched on: the terms it makes, where the
// gradient goes, the memory it fills, and the config rules that tie the parts together.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/config/config_loader.h"
#include "test_helpers.h"
#include "train/experiment_config.h"
#include "train/pseudo/support_maps.h"
#include "train/step/step_context.h"
#include "train/step/training_step.h"
#include "train/training_models.h"

namespace {

wsss::ExperimentConfig pssConfig() {
  wsss::ExperimentConfig config = wsss::test::tinyCpuExperiment();
  config.seg.warmupIters = 0;
  config.support.mode = wsss::SupportMode::Ema;
  config.support.scales = {0.5, 1.0, 1.5};
  config.pseudo.source = wsss::PseudoSource::Support;
  config.rcm.enabled = true;
  config.rcm.memory = 3;
  config.mam.enabled = true;
  return config;
}

wsss::Batch randomBatch(int64_t images, int64_t classes) {
  wsss::Batch batch;
  for (int64_t index = 0; index < images; ++index) batch.ids.push_back(std::to_string(index));
  batch.image = torch::randn({images, 3, 48, 48});
  batch.labels = torch::zeros({images, classes});
  for (int64_t index = 0; index < images; ++index) {
    batch.labels[index][index % classes] = 1;
    batch.labels[index][(index + 1) % classes] = 1;
  }
  batch.cropBox = torch::tensor({0, 0, 48, 48}, torch::kLong).repeat({images, 1});
  return batch;
}

}  // namespace

TEST_CASE("a SupportNet step trains MainNet only and fills the prototype memory",
          "[train][support]") {
  torch::manual_seed(0);
  const wsss::ExperimentConfig config = pssConfig();
  wsss::TrainingModels models = wsss::buildTrainingModels(config, 3, torch::kCPU, false);
  REQUIRE(models.support);
  REQUIRE_FALSE(models.memory.is_empty());
  const auto parts = models.checkpointParts();
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].name == "support");
  CHECK(parts[1].name == "prototype_memory");

  const wsss::LossTerms losses =
      wsss::forwardLosses(models, randomBatch(4, 3), config, 5, torch::kCPU);
  std::vector<std::string> names;
  for (const auto& term : losses.terms) names.push_back(term.first);
  CHECK(names == std::vector<std::string>{"cls", "rcm", "mam", "seg"});
  for (const auto& term : losses.terms) {
    INFO(term.first);
    CHECK(std::isfinite(term.second.item<double>()));
  }
  CHECK(models.memory->count().sum().item<int64_t>() > 0);

  losses.total.backward();
  CHECK(wsss::test::anyGradient(models.network->backboneParameters()));
  CHECK(wsss::test::anyGradient(models.network->headParameters()));
  for (const auto& parameter : models.support->ownWeights()->parameters()) {
    CHECK_FALSE(parameter.grad().defined());
  }

  SECTION("RCM and MAM alone each send gradient into the backbone") {
    const wsss::Batch batch = randomBatch(4, 3);
    const wsss::SupportMaps support = wsss::supportMaps(*models.support, batch.image, batch.labels);
    for (const std::string part : {"rcm", "mam"}) {
      INFO(part);
      models.network->zero_grad();
      const wsss::NetworkOutputs outputs = models.network->forward(batch.image, false);
      wsss::StepContext step(models, batch, config, config.train.iterations - 1, outputs);
      step.provideSupport(support);
      const torch::Tensor loss = wsss::test::computeLossTerm(part, step);
      loss.backward();
      CHECK(wsss::test::anyGradient(models.network->backboneParameters()));
    }
  }
}

TEST_CASE("a step makes SupportNet's maps and its pseudo-labels once, however many terms read them",
          "[train][support][step]") {
  torch::manual_seed(2);
  const wsss::ExperimentConfig config = pssConfig();
  wsss::TrainingModels models = wsss::buildTrainingModels(config, 3, torch::kCPU, false);
  const wsss::Batch batch = randomBatch(2, 3);
  wsss::StepContext step(models, batch, config, config.train.iterations - 1,
                         models.network->forward(batch.image, true));
  const wsss::SupportMaps& support = step.support();
  // pseudo.source is support, so the pseudo-labels read the maps already made.
  const wsss::PseudoTargets& pseudo = step.pseudoLabels();
  CHECK(step.support().scores.is_same(support.scores));
  CHECK(step.pseudoLabels().segLabel.is_same(pseudo.segLabel));
  CHECK(step.segmentationLogits().is_same(step.segmentationLogits()));
  CHECK(torch::equal(pseudo.scores, support.scores));
}

TEST_CASE("RCM and MAM wait out their warm-ups, and the memory with them", "[train][support]") {
  torch::manual_seed(3);
  wsss::ExperimentConfig config = pssConfig();
  config.train.iterations = 100;
  config.rcm.warmupIters = 10;
  config.mam.warmupIters = -1;  // a fifth of training: 20 steps
  CHECK(config.rcm.warmupFor(100) == 10);
  CHECK(config.mam.warmupFor(100) == 20);
  wsss::TrainingModels models = wsss::buildTrainingModels(config, 3, torch::kCPU, false);
  const wsss::Batch batch = randomBatch(4, 3);
  const auto namesAt = [&](int64_t iteration) {
    return wsss::test::termNames(
        wsss::forwardLosses(models, batch, config, iteration, torch::kCPU));
  };
  CHECK(namesAt(9) == std::vector<std::string>{"cls", "seg"});
  CHECK(models.memory->count().sum().item<int64_t>() == 0);
  CHECK(namesAt(10) == std::vector<std::string>{"cls", "rcm", "seg"});
  CHECK(models.memory->count().sum().item<int64_t>() > 0);
  CHECK(namesAt(19) == std::vector<std::string>{"cls", "rcm", "seg"});
  CHECK(namesAt(20) == std::vector<std::string>{"cls", "rcm", "mam", "seg"});

  SECTION("a negative warm-up other than -1 is refused, naming the key") {
    const auto load = [](const std::string& yaml) {
      return wsss::readConfigText<wsss::ExperimentConfig>(yaml, "test");
    };
    CHECK_THROWS_WITH(load("support:\n  mode: ema\nrcm:\n  enabled: true\n  warmup_iters: -2\n"),
                      Catch::Contains("rcm.warmup_iters"));
    CHECK_THROWS_WITH(load("support:\n  mode: ema\nmam:\n  enabled: true\n  warmup_iters: -2\n"),
                      Catch::Contains("mam.warmup_iters"));
    // A warm-up as long as the run would leave the loss off: refused, unless the loss is off.
    const std::string run = "support:\n  mode: ema\ntrain:\n  iterations: 100\n";
    CHECK_THROWS_WITH(load(run + "rcm:\n  enabled: true\n  warmup_iters: 100\n"),
                      Catch::Contains("rcm would never switch on"));
    CHECK_THROWS_WITH(load(run + "mam:\n  enabled: true\n  warmup_iters: 150\n"),
                      Catch::Contains("mam.warmup_iters: a warm-up of 150 steps"));
    CHECK_NOTHROW(load(run + "rcm:\n  enabled: true\n  warmup_iters: 99\n"));
    CHECK_NOTHROW(load(run + "rcm:\n  enabled: false\n  warmup_iters: 100\n"));
  }
}

TEST_CASE("RCM's ignore band reaches the step: pixels in it are neither a region nor bg",
          "[train][support][rcm]") {
  // Three bands of columns in both images: Ŝ 0.9 (class 0) with embedding e0, 0.3 with e1 and
  // 0.05 with e2. At threshold 0.5 METHODS' rule makes the last two background, so the
  // background prototype each image stores is normalize(e1 + e2); a band of 0.3 ignores the
  // 0.3 columns and leaves e2 alone.
  using torch::indexing::Slice;
  const wsss::Batch batch = randomBatch(2, 3);
  wsss::SupportMaps support;
  support.scores = torch::zeros({2, 3, 48, 48});
  support.scores.index_put_({Slice(), 0, Slice(), Slice(0, 16)}, 0.9);
  support.scores.index_put_({Slice(), 0, Slice(), Slice(16, 32)}, 0.3);
  support.scores.index_put_({Slice(), 0, Slice(), Slice(32, 48)}, 0.05);
  support.embed = torch::zeros({2, 3, 48, 48});
  for (int64_t part = 0; part < 3; ++part)
    support.embed.index_put_({Slice(), part, Slice(), Slice(16 * part, 16 * (part + 1))}, 1.0);
  const torch::Tensor mainEmbed = torch::randn({2, 3, 48, 48});
  const float half = static_cast<float>(1.0 / std::sqrt(2.0));
  wsss::RcmOptions options;
  options.threshold = 0.5;
  for (const double band : {0.0, 0.3}) {
    INFO("band " << band);
    options.ignoreBand = band;
    wsss::TrainingModels models;
    models.memory = wsss::PrototypeMemory(4, 2, 3);
    wsss::PrototypeMemory& memory = models.memory;
    wsss::ExperimentConfig config;
    config.rcm = options;
    wsss::NetworkOutputs outputs;
    outputs.embed = mainEmbed;
    wsss::StepContext step(models, batch, config, 0, outputs);
    step.provideSupport(support);
    const torch::Tensor loss = wsss::test::computeLossTerm("rcm", step);
    CHECK(loss.item<double>() > 0);
    const torch::Tensor background =
        band == 0.0 ? torch::tensor({0.f, half, half}) : torch::tensor({0.f, 0.f, 1.f});
    CHECK(torch::allclose(memory->sum()[0], 2 * background, 1e-5, 1e-6));
    CHECK(torch::allclose(memory->sum()[1], torch::tensor({2.f, 0.f, 0.f}), 1e-5, 1e-6));
  }
}

TEST_CASE("an RCM ignore band wider than the region threshold is refused, naming the key",
          "[train][support][config]") {
  const auto load = [](const std::string& yaml) {
    return wsss::readConfigText<wsss::ExperimentConfig>(yaml, "test");
  };
  CHECK_THROWS_WITH(load("rcm:\n  threshold: 0.5\n  ignore_band: 0.6\n"),
                    Catch::Contains("rcm.ignore_band"));
  CHECK_THROWS_WITH(load("rcm:\n  ignore_band: -0.1\n"), Catch::Contains("rcm.ignore_band"));
  CHECK(load("rcm:\n  threshold: 0.5\n  ignore_band: 0.5\n").rcm.ignoreBand == 0.5);
}

TEST_CASE("support maps: label-masked per scale, Ŝ normalised per present class",
          "[train][support]") {
  torch::manual_seed(1);
  wsss::TrainingModels models = wsss::buildTrainingModels(pssConfig(), 3, torch::kCPU, false);
  const wsss::Batch batch = randomBatch(2, 3);
  const wsss::SupportMaps maps = wsss::supportMaps(*models.support, batch.image, batch.labels);
  REQUIRE(maps.perScale.size() == 3);
  // Image 0 has classes 0 and 1: class 2 is zero at every scale and in Ŝ.
  for (const auto& map : maps.perScale) CHECK(map[0][2].abs().max().item<float>() == 0);
  CHECK(maps.scores[0][2].abs().max().item<float>() == 0);
  const torch::Tensor peaks = std::get<0>(maps.scores.flatten(2).max(2));
  CHECK(peaks[0][0].item<float>() == Approx(1.0).margin(1e-4));
  CHECK(maps.scores.max().item<float>() <= 1.0f);
}

TEST_CASE("RCM, MAM and support pseudo-labels need SupportNet", "[train][support][config]") {
  const auto load = [](const std::string& yaml) {
    return wsss::readConfigText<wsss::ExperimentConfig>(yaml, "test");
  };
  CHECK_THROWS_WITH(load("rcm:\n  enabled: true\n"), Catch::Contains("support.mode is off"));
  CHECK_THROWS_WITH(load("mam:\n  enabled: true\n"), Catch::Contains("support.mode is off"));
  CHECK_THROWS_WITH(load("pseudo:\n  source: support\n"), Catch::Contains("support.mode is off"));
  CHECK_NOTHROW(load("support:\n  mode: shared\nrcm:\n  enabled: true\n"));
}

TEST_CASE("shared SupportNet: no own weights to save, the step still trains", "[train][support]") {
  torch::manual_seed(2);
  wsss::ExperimentConfig config = pssConfig();
  config.support.mode = wsss::SupportMode::Shared;
  config.rcm.memory = 0;
  wsss::TrainingModels models = wsss::buildTrainingModels(config, 3, torch::kCPU, false);
  CHECK(models.checkpointParts().empty());
  const wsss::LossTerms losses =
      wsss::forwardLosses(models, randomBatch(2, 3), config, 5, torch::kCPU);
  losses.total.backward();
  CHECK(wsss::test::anyGradient(models.network->backboneParameters()));
}
