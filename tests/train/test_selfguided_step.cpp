// A training step with the self-guided parts of METHODS §3 switched on: the refined
// pseudo-labels, L_affc and the CAM target, the terms they make and where their gradient goes.
#include <catch2/catch.hpp>
#include <cmath>

#include "test_helpers.h"
#include "train/experiment_config.h"
#include "train/step/training_step.h"
#include "train/training_models.h"

namespace {

wsss::ExperimentConfig selfGuidedConfig() {
  wsss::ExperimentConfig config = wsss::test::tinyCpuExperiment();
  config.seg.warmupIters = 2;
  config.pseudo.refine = true;
  config.affc.enabled = true;
  config.selfguided.camTarget = true;
  return config;
}

}  // namespace

TEST_CASE("a self-guided step adds affc from the start and the CAM target after the warm-up",
          "[train][selfguided]") {
  torch::manual_seed(0);
  const wsss::ExperimentConfig config = selfGuidedConfig();
  wsss::TrainingModels models = wsss::buildTrainingModels(config, 3, torch::kCPU, false);
  const wsss::Batch batch = wsss::test::paddedRandomBatch(2, 3);

  const wsss::LossTerms early = wsss::forwardLosses(models, batch, config, 0, torch::kCPU);
  CHECK(wsss::test::termNames(early) == std::vector<std::string>{"cls", "affc"});
  const wsss::LossTerms late = wsss::forwardLosses(models, batch, config, 5, torch::kCPU);
  CHECK(wsss::test::termNames(late) ==
        std::vector<std::string>{"cls", "affc", "seg", "cam_target"});
  for (const auto& term : late.terms) {
    INFO(term.first);
    CHECK(std::isfinite(term.second.item<double>()));
  }
  late.total.backward();
  CHECK(wsss::test::anyGradient(models.network->backboneParameters()));
}

TEST_CASE("L_affc and the CAM target each train the CAM head and the backbone",
          "[train][selfguided]") {
  torch::manual_seed(1);
  const wsss::ExperimentConfig config = selfGuidedConfig();
  wsss::TrainingModels models = wsss::buildTrainingModels(config, 3, torch::kCPU, false);
  const wsss::Batch batch = wsss::test::paddedRandomBatch(2, 3);
  for (const std::string part : {"affc", "cam_target"}) {
    INFO(part);
    models.network->zero_grad();
    const wsss::NetworkOutputs outputs = models.network->forward(batch.image, false);
    // A target with both background and the image's class, so both halves of the loss count.
    torch::Tensor target = torch::zeros({2, 48, 48}, torch::kLong);
    target.narrow(2, 0, 20).fill_(1);
    target[1].narrow(1, 0, 20).fill_(2);
    // The CAM target reads the step's pseudo-labels; here a fixed target stands in for them.
    wsss::StepContext step(models, batch, config, config.train.iterations - 1, outputs);
    step.providePseudoLabels({torch::Tensor(), target});
    const torch::Tensor loss = wsss::test::computeLossTerm(part, step);
    CHECK(std::isfinite(loss.item<double>()));
    loss.backward();
    CHECK(wsss::test::anyGradient(models.network->camHead().parameters()));
    CHECK(wsss::test::anyGradient(models.network->backboneParameters()));
  }
}
