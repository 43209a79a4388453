// A loss term and a hook added from outside the shipped lists, with no other file touched:
// what a new method or a new periodic action does.
#include <torch/torch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "core/config/config_loader.h"
#include "test_helpers.h"
#include "train/loop/trainer.h"
#include "train/pseudo/pseudo_label_folder.h"
#include "train/step/step_benchmark.h"
#include "train/step/step_context.h"

namespace {

using wsss::test::TempDir;

// L_probe = mean(logits²), weighted 0.5; counts how often the step computed it.
wsss::LossTerm probeTerm(std::shared_ptr<int> calls) {
  wsss::LossTerm term;
  term.name = "probe";
  term.section = "probe";
  term.enabled = [](const wsss::ExperimentConfig&) { return true; };
  term.firstStep = [](const wsss::ExperimentConfig&) -> int64_t { return 1; };
  term.weight = [](const wsss::ExperimentConfig&) { return 0.5; };
  term.compute = [calls](wsss::StepContext& step) {
    ++*calls;
    return step.outputs.logits.to(torch::kFloat32).pow(2).mean();
  };
  return term;
}

// Records what the loop showed it; throws after step `failAt` when that is positive.
class RecordingHook : public wsss::TrainingHook {
 public:
  explicit RecordingHook(int64_t failAt = 0) : failAt_(failAt) {}
  std::string name() const override { return "recording"; }
  void beforeStep(wsss::TrainingRun& run) override { before.push_back(run.progress.iteration); }
  void afterStep(wsss::TrainingRun& run, const wsss::StepRecord& record) override {
    after.push_back(record.iteration);
    lossNames.clear();
    for (const auto& [name, value] : record.losses) lossNames.push_back(name);
    if (failAt_ > 0 && record.iteration == failAt_) throw wsss::Error("the recording hook fails");
  }
  void atEnd(wsss::TrainingRun&, bool failed) override { ends.push_back(failed); }

  std::vector<int64_t> before, after;
  std::vector<std::string> lossNames;
  std::vector<bool> ends;

 private:
  int64_t failAt_;
};

}  // namespace

TEST_CASE("a loss term and a hook added from test code run in the loop and the benchmark",
          "[train][step][hooks]") {
  TempDir dir("step_extension");
  const auto config =
      wsss::readConfig<wsss::ExperimentConfig>(wsss::test::instantToyConfig(dir, 4), {});
  const auto calls = std::make_shared<int>(0);
  wsss::TrainingRequest request;
  request.config = config;
  request.workDir = (dir / "run").string();
  request.lossTerms = wsss::standardLossTerms();
  request.lossTerms.push_back(probeTerm(calls));
  const auto hook = std::make_shared<RecordingHook>();
  request.extraHooks = {hook};
  REQUIRE(wsss::runTraining(request) == 0);

  // The term runs from its first step on, and reaches the log like any shipped term.
  CHECK(*calls == 3);
  CHECK(hook->before == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(hook->after == std::vector<int64_t>{1, 2, 3, 4});
  CHECK(hook->ends == std::vector<bool>{false});
  CHECK(hook->lossNames.back() == "total");
  CHECK(std::find(hook->lossNames.begin(), hook->lossNames.end(), "probe") !=
        hook->lossNames.end());
  const std::string metrics = wsss::test::readText(dir / "run" / "metrics.jsonl");
  CHECK(metrics.find("\"probe\"") != std::string::npos);

  // The benchmark has a row with the term alone on the baseline, and the baseline without it.
  const auto settings = wsss::methodBenchmarkSettings(config, request.lossTerms);
  std::vector<std::string> rows;
  for (const auto& setting : settings) rows.push_back(setting.name);
  CHECK(rows == std::vector<std::string>{"baseline", "+ probe", "as configured"});
  wsss::ExperimentConfig baseline = config;
  settings.front().change(baseline);
  CHECK_FALSE(request.lossTerms.back().isOn(baseline));
  wsss::ExperimentConfig withProbe = config;
  settings[1].change(withProbe);
  CHECK(request.lossTerms.back().isOn(withProbe));
}

TEST_CASE("a hook that throws ends the run through every hook's end, the error kept",
          "[train][hooks]") {
  TempDir dir("hook_failure");
  const auto config =
      wsss::readConfig<wsss::ExperimentConfig>(wsss::test::instantToyConfig(dir, 4), {});
  wsss::TrainingRequest request;
  request.config = config;
  request.workDir = (dir / "run").string();
  const auto failing = std::make_shared<RecordingHook>(3);
  const auto watching = std::make_shared<RecordingHook>();
  request.extraHooks = {failing, watching};
  CHECK_THROWS_WITH(wsss::runTraining(request), Catch::Contains("the recording hook fails"));
  CHECK(failing->ends == std::vector<bool>{true});
  CHECK(watching->ends == std::vector<bool>{true});
  // The hook failed after step 3; the checkpoint of step 2 is what a resume continues from.
  CHECK(watching->after == std::vector<int64_t>{1, 2});
  CHECK(
      wsss::readCheckpointProgress((dir / "run" / "checkpoints" / "last.pt").string()).iteration ==
      2);
}

TEST_CASE("the data reads clicks and saliency maps when an added term needs them, named after it",
          "[train][step][data]") {
  wsss::ExperimentConfig config;
  wsss::LossTermList terms = wsss::standardLossTerms();
  CHECK(wsss::trainingDataOptions(config, terms).needs.pointsFor.empty());
  CHECK(wsss::trainingDataOptions(config, terms).needs.saliencyFor.empty());
  wsss::LossTerm clicks = probeTerm(std::make_shared<int>(0));
  clicks.name = "clicks_probe";
  clicks.needs = [](const wsss::ExperimentConfig&) {
    wsss::LossTermNeeds needs;
    needs.points = true;
    return needs;
  };
  terms.push_back(clicks);
  CHECK(wsss::trainingDataOptions(config, terms).needs.pointsFor == "clicks_probe");
  // Switched off, it reads nothing.
  terms.back().switchOffIn(config);
  CHECK(wsss::trainingDataOptions(config, terms).needs.pointsFor.empty());
}
