// A training step with AAMR (METHODS §2): after the warm-up the segmentation head trains on
// L_aamr in place of L_seg, on the pseudo-label engine's maps and the batch's saliency; the
// training data reads saliency maps for it; and the rule that it needs image-level supervision.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/config/config_loader.h"
#include "test_helpers.h"
#include "train/experiment_config.h"
#include "train/pseudo/pseudo_label_folder.h"
#include "train/step/training_step.h"
#include "train/training_models.h"

namespace {

wsss::ExperimentConfig aamrConfig() {
  wsss::ExperimentConfig config = wsss::test::tinyCpuExperiment();
  config.seg.warmupIters = 2;
  config.aamr.enabled = true;
  return config;
}

// The padded random batch with a salient square in the middle of each image.
wsss::Batch salientBatch(int64_t images, int64_t classes) {
  wsss::Batch batch = wsss::test::paddedRandomBatch(images, classes);
  batch.saliency = torch::zeros({images, 1, 48, 48});
  batch.saliency.narrow(2, 12, 24).narrow(3, 12, 24).fill_(1);
  return batch;
}

}  // namespace

TEST_CASE("an aamr step trains the segmentation head on L_aamr after the warm-up",
          "[train][aamr]") {
  torch::manual_seed(0);
  const wsss::ExperimentConfig config = aamrConfig();
  wsss::TrainingModels models = wsss::buildTrainingModels(config, 3, torch::kCPU, false);
  const wsss::Batch batch = salientBatch(2, 3);

  const wsss::LossTerms early = wsss::forwardLosses(models, batch, config, 0, torch::kCPU);
  CHECK(wsss::test::termNames(early) == std::vector<std::string>{"cls"});
  const wsss::LossTerms late = wsss::forwardLosses(models, batch, config, 5, torch::kCPU);
  REQUIRE(wsss::test::termNames(late) == std::vector<std::string>{"cls", "aamr"});
  const double aamr = late.terms[1].second.item<double>();
  CHECK(std::isfinite(aamr));
  CHECK(aamr > 0);
  late.total.backward();
  CHECK(wsss::test::anyGradient(models.network->segmentationHead().parameters()));
  CHECK(wsss::test::anyGradient(models.network->backboneParameters()));
}

TEST_CASE("aamr composes with the pseudo-label engine's sources and refinement", "[train][aamr]") {
  for (const std::string variant : {"refine", "support", "cam target"}) {
    INFO(variant);
    torch::manual_seed(1);
    wsss::ExperimentConfig config = aamrConfig();
    if (variant == "refine") config.pseudo.refine = true;
    if (variant == "support") {
      config.support.mode = wsss::SupportMode::Ema;
      config.support.scales = {0.5, 1.0};
      config.pseudo.source = wsss::PseudoSource::Support;
    }
    if (variant == "cam target") config.selfguided.camTarget = true;
    wsss::TrainingModels models = wsss::buildTrainingModels(config, 3, torch::kCPU, false);
    const wsss::LossTerms losses =
        wsss::forwardLosses(models, salientBatch(2, 3), config, 5, torch::kCPU);
    const std::vector<std::string> expected =
        variant == "cam target" ? std::vector<std::string>{"cls", "aamr", "cam_target"}
                                : std::vector<std::string>{"cls", "aamr"};
    CHECK(wsss::test::termNames(losses) == expected);
    for (const auto& term : losses.terms) {
      INFO(term.first);
      CHECK(std::isfinite(term.second.item<double>()));
    }
    losses.total.backward();
    CHECK(wsss::test::anyGradient(models.network->segmentationHead().parameters()));
  }
}

TEST_CASE("with aamr on, aamr.weight and not seg.weight switches the segmentation head",
          "[train][aamr]") {
  wsss::ExperimentConfig config = aamrConfig();
  config.seg.weight = 0;
  CHECK(wsss::segmentationActive(config, 5));
  CHECK_FALSE(wsss::segmentationActive(config, 1));  // still the warm-up
  config.aamr.weight = 0;
  CHECK_FALSE(wsss::segmentationActive(config, 5));
}

TEST_CASE("an aamr step on a batch without saliency says where the maps come from",
          "[train][aamr]") {
  torch::manual_seed(2);
  const wsss::ExperimentConfig config = aamrConfig();
  wsss::TrainingModels models = wsss::buildTrainingModels(config, 3, torch::kCPU, false);
  wsss::Batch batch = salientBatch(2, 3);
  batch.saliency = torch::Tensor();
  CHECK_NOTHROW(wsss::forwardLosses(models, batch, config, 0, torch::kCPU));  // warm-up
  CHECK_THROWS_WITH(wsss::forwardLosses(models, batch, config, 5, torch::kCPU),
                    Catch::Contains("aamr") && Catch::Contains("data.saliency_dir"));
}

TEST_CASE("aamr has the training data read saliency maps and needs supervision image_labels",
          "[train][aamr][config]") {
  const auto load = [](const std::string& yaml) {
    return wsss::readConfigText<wsss::ExperimentConfig>(yaml, "test");
  };
  CHECK_THROWS_WITH(load("supervision: full\naamr:\n  enabled: true\n"),
                    Catch::Contains("image_labels") && Catch::Contains("full"));
  const wsss::ExperimentConfig aamr = load("aamr:\n  enabled: true\n");
  CHECK(wsss::trainingDataOptions(aamr).needs.saliencyFor == "aamr");
  CHECK(wsss::trainingDataOptions(aamr).needs.pointsFor.empty());
  // Only the training split reads them; evaluation reads config.data as it is.
  CHECK_FALSE(aamr.data.needs.saliency());
  CHECK_FALSE(wsss::trainingDataOptions(load("")).needs.saliency());
}
