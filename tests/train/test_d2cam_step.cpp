// A training step with the D2CAM head (METHODS §4): L_cls on its top-mean logits, L_sep and L_ex
// beside it, and the CAM pseudo-labels made from its maps.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/config/config_loader.h"
#include "models/d2cam_head.h"
#include "test_helpers.h"
#include "train/experiment_config.h"
#include "train/step/step_benchmark.h"
#include "train/step/training_step.h"
#include "train/training_models.h"

TEST_CASE("a D2CAM step adds L_sep and L_ex and trains the head's prototypes", "[train][d2cam]") {
  torch::manual_seed(0);
  wsss::ExperimentConfig config = wsss::test::tinyCpuExperiment();
  config.model.camHead = wsss::CamHeadKind::D2cam;
  config.seg.warmupIters = 2;
  wsss::TrainingModels models = wsss::buildTrainingModels(config, 3, torch::kCPU, false);
  const wsss::Batch batch = wsss::test::paddedRandomBatch(2, 3);
  const wsss::LossTerms losses = wsss::forwardLosses(models, batch, config, 5, torch::kCPU);
  CHECK(wsss::test::termNames(losses) == std::vector<std::string>{"cls", "seg", "sep", "ex"});
  for (const auto& term : losses.terms) {
    INFO(term.first);
    CHECK(std::isfinite(term.second.item<double>()));
  }
  losses.total.backward();
  const auto parameters = models.network->named_parameters();
  CHECK(parameters["cam_head.prototypes"].grad().abs().sum().item<double>() > 0);
  CHECK(wsss::test::anyGradient(models.network->backboneParameters()));

  SECTION("the constraints switch off by their weights") {
    config.model.d2cam.separationWeight = 0;
    config.model.d2cam.exclusionWeight = 0;
    CHECK(wsss::test::termNames(wsss::forwardLosses(models, batch, config, 5, torch::kCPU)) ==
          std::vector<std::string>{"cls", "seg"});
  }
}

TEST_CASE("L_fgbg scores D2CAM's margins and is what trains the background prototypes",
          "[train][d2cam]") {
  torch::manual_seed(0);
  wsss::ExperimentConfig config = wsss::test::tinyCpuExperiment();
  config.model.camHead = wsss::CamHeadKind::D2cam;
  config.model.d2cam.separationWeight = 0;
  config.model.d2cam.exclusionWeight = 0;
  wsss::TrainingModels models = wsss::buildTrainingModels(config, 3, torch::kCPU, false);
  const wsss::Batch batch = wsss::test::paddedRandomBatch(2, 3);
  const auto backgroundGradient = [&] {
    models.network->zero_grad();
    const wsss::LossTerms losses = wsss::forwardLosses(models, batch, config, 5, torch::kCPU);
    losses.total.backward();
    const torch::Tensor grad =
        models.network->named_parameters()["cam_head.background_prototypes"].grad();
    return std::make_pair(wsss::test::termNames(losses),
                          grad.defined() ? grad.abs().sum().item<double>() : 0.0);
  };
  // L_cls reads M_c and L_seg the segmentation head: the background prototypes learn nothing.
  const auto [without, idle] = backgroundGradient();
  CHECK(without == std::vector<std::string>{"cls", "seg"});
  CHECK(idle == 0.0);
  config.model.d2cam.fgbgWeight = 1;
  const auto [with, trained] = backgroundGradient();
  CHECK(with == std::vector<std::string>{"cls", "seg", "fgbg"});
  CHECK(trained > 0);

  // The logits are s times the top mean of the margins that P_c squashes: τ · logit(P).
  const wsss::NetworkOutputs outputs = models.network->forward(batch.image, false);
  const torch::Tensor margin =
      torch::logit(outputs.fgbg.to(torch::kFloat64), 1e-12) * config.model.d2cam.temperature;
  CHECK(torch::allclose(outputs.fgbgLogits.to(torch::kFloat64),
                        wsss::topMeanLogits(margin, config.model.d2cam.scale,
                                            config.model.d2cam.topFraction),
                        1e-3, 1e-3));
}

TEST_CASE("pseudo.source d2cam needs the D2CAM head, and the matting refiner is a bench row",
          "[train][d2cam][matting]") {
  CHECK_THROWS_WITH(
      wsss::readConfigText<wsss::ExperimentConfig>("pseudo:\n  source: d2cam\n", "d2cam.yaml"),
      Catch::Contains("model.cam_head: d2cam"));
  CHECK_NOTHROW(wsss::readConfigText<wsss::ExperimentConfig>(
      "model:\n  cam_head: d2cam\npseudo:\n  source: d2cam\n", "d2cam.yaml"));

  wsss::ExperimentConfig config = wsss::test::tinyCpuExperiment();
  config.model.camHead = wsss::CamHeadKind::D2cam;
  config.pseudo.source = wsss::PseudoSource::D2cam;
  config.matting.enabled = true;
  std::vector<std::string> rows;
  const auto settings = wsss::methodBenchmarkSettings(config, wsss::standardLossTerms());
  for (const auto& setting : settings) rows.push_back(setting.name);
  CHECK(rows == std::vector<std::string>{"baseline", "+ d2cam pseudo-labels", "+ matting", "+ sep",
                                         "+ ex", "as configured"});
  // The baseline row takes matting out; the matting row keeps it alone.
  wsss::ExperimentConfig baseline = config, matting = config;
  settings[0].change(baseline);
  settings[2].change(matting);
  CHECK_FALSE(baseline.matting.enabled);
  CHECK(matting.matting.enabled);
  CHECK(matting.pseudo.source == wsss::PseudoSource::Cam);
}
