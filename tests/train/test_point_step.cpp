// A training step under supervision points (METHODS §5): its terms, where their gradients go,
// the config rules that keep clicks and their pseudo-masks together, and the benchmark's rows.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/config/config_loader.h"
#include "test_helpers.h"
#include "train/experiment_config.h"
#include "train/step/step_benchmark.h"
#include "train/step/training_step.h"
#include "train/training_models.h"

namespace {

wsss::ExperimentConfig pointConfig() {
  wsss::ExperimentConfig config = wsss::test::tinyCpuExperiment();
  config.supervision = wsss::Supervision::Points;
  config.pseudo.source = wsss::PseudoSource::Points;
  config.cls.weight = 0;
  config.point.warmupIters = 2;
  return config;
}

// The padded batch with two object clicks on image 0, one object and one background click on
// image 1 (inside its crop box, columns 0..31).
wsss::Batch clickedBatch() {
  wsss::Batch batch = wsss::test::paddedRandomBatch(2, 3);
  batch.points = torch::tensor({0.f, 10.f, 10.f, 1.f, 1.f,  //
                                0.f, 30.f, 40.f, 1.f, 1.f,  //
                                1.f, 20.f, 12.f, 2.f, 1.f,  //
                                1.f, 40.f, 28.f, 0.f, 1.f})
                     .view({4, 5});
  return batch;
}

}  // namespace

TEST_CASE("a points step runs L_point from the start and L_pm after its warm-up, no cls, no seg",
          "[train][point]") {
  torch::manual_seed(0);
  const wsss::ExperimentConfig config = pointConfig();
  wsss::TrainingModels models = wsss::buildTrainingModels(config, 3, torch::kCPU, false);
  const wsss::Batch batch = clickedBatch();
  CHECK(wsss::test::termNames(wsss::forwardLosses(models, batch, config, 0, torch::kCPU)) ==
        std::vector<std::string>{"point"});
  const wsss::LossTerms late = wsss::forwardLosses(models, batch, config, 5, torch::kCPU);
  CHECK(wsss::test::termNames(late) == std::vector<std::string>{"point", "pm"});
  for (const auto& term : late.terms) {
    INFO(term.first);
    CHECK(std::isfinite(term.second.item<double>()));
    CHECK(term.second.item<double>() > 0);
  }

  SECTION("with image labels too, cls joins them") {
    wsss::ExperimentConfig both = config;
    both.cls.weight = 1;
    CHECK(wsss::test::termNames(wsss::forwardLosses(models, batch, both, 5, torch::kCPU)) ==
          std::vector<std::string>{"cls", "point", "pm"});
  }
}

TEST_CASE("L_point and L_pm each reach the segmentation head and the backbone", "[train][point]") {
  torch::manual_seed(1);
  const wsss::ExperimentConfig config = pointConfig();
  wsss::TrainingModels models = wsss::buildTrainingModels(config, 3, torch::kCPU, false);
  const wsss::Batch batch = clickedBatch();
  for (const std::string part : {"point", "pm"}) {
    INFO(part);
    models.network->zero_grad();
    wsss::StepContext step(models, batch, config, config.train.iterations - 1,
                           models.network->forward(batch.image, true));
    const torch::Tensor loss = wsss::test::computeLossTerm(part, step);
    REQUIRE(std::isfinite(loss.item<double>()));
    loss.backward();
    CHECK(wsss::test::anyGradient(models.network->segmentationHead().parameters()));
    CHECK(wsss::test::anyGradient(models.network->backboneParameters()));
    CHECK_FALSE(wsss::test::anyGradient(models.network->camHead().parameters()));
  }
  SECTION("the pseudo-masks come from the clicks: their classes only, 255 in the padding") {
    wsss::StepContext step(models, batch, config, 5, models.network->forward(batch.image, true));
    const torch::Tensor labels = step.pseudoLabels().segLabel;
    CHECK(labels[1].narrow(1, 32, 16).eq(255).all().item<bool>());
    CHECK_FALSE(labels[0].eq(2).any().item<bool>());
    CHECK_FALSE(labels[0].eq(3).any().item<bool>());
    CHECK_FALSE(labels[1].eq(1).any().item<bool>());
    // An untrained network's features may leave a click's own pixel undecided, but never
    // another class.
    const int64_t atClick = labels[0][10][10].item<int64_t>();
    CHECK((atClick == 1 || atClick == 255));
    const int64_t atBackgroundClick = labels[1][40][28].item<int64_t>();
    CHECK((atBackgroundClick == 0 || atBackgroundClick == 255));
  }
}

TEST_CASE("the config keeps clicks and their pseudo-masks together", "[train][point][config]") {
  const auto load = [](const std::string& yaml) {
    return wsss::readConfigText<wsss::ExperimentConfig>(yaml, "points.yaml");
  };
  CHECK_NOTHROW(load("supervision: points\npseudo:\n  source: points\n"));
  CHECK_NOTHROW(load("supervision: points\npoint:\n  mask_weight: 0\n"));
  CHECK_THROWS_WITH(load("supervision: points\n"),
                    Catch::Contains("pseudo.source") && Catch::Contains("points"));
  CHECK_THROWS_WITH(load("pseudo:\n  source: points\n"),
                    Catch::Contains("only supervision points reads"));
  CHECK_THROWS_WITH(
      load("supervision: points\npseudo:\n  source: points\ntrain:\n  iterations: 10\n"
           "point:\n  warmup_iters: 10\n"),
      Catch::Contains("point.warmup_iters"));
  CHECK_THROWS_WITH(load("supervision: points\npseudo:\n  source: points\npoint:\n  sigma: -1\n"),
                    Catch::Contains("point.sigma"));
}

TEST_CASE("bench --what methods times a points run as L_point alone, then with L_pm",
          "[train][point][bench]") {
  const wsss::ExperimentConfig config = pointConfig();
  std::vector<std::string> rows;
  for (const auto& setting : wsss::methodBenchmarkSettings(config, wsss::standardLossTerms())) {
    rows.push_back(setting.name);
  }
  CHECK(rows == std::vector<std::string>{"baseline", "+ pm", "as configured"});
  wsss::ExperimentConfig baseline = config;
  wsss::methodBenchmarkSettings(config, wsss::standardLossTerms())[0].change(baseline);
  const wsss::LossTermList terms = wsss::standardLossTerms();
  std::vector<std::string> on;
  for (const auto& term : terms) {
    if (term.isOn(baseline)) on.push_back(term.name);
  }
  CHECK(on == std::vector<std::string>{"point"});
}
