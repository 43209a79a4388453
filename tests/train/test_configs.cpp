// Every experiment file shipped under configs/ loads, and the baselines say what they claim.
#include <catch2/catch.hpp>
#include <filesystem>

#include "core/config/config_loader.h"
#include "test_helpers.h"
#include "train/experiment_config.h"
#include "train/pseudo/pseudo_label_folder.h"

namespace fs = std::filesystem;

namespace {

wsss::ExperimentConfig shipped(const std::string& relative) {
  return wsss::readConfig<wsss::ExperimentConfig>(
      (wsss::test::sourceDir() / "configs" / relative).string(), {});
}

}  // namespace

TEST_CASE("every file under configs/ loads", "[configs]") {
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(wsss::test::sourceDir() / "configs")) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path().string());
    CHECK_NOTHROW(wsss::readConfig<wsss::ExperimentConfig>(entry.path().string(), {}));
    ++files;
  }
  CHECK(files >= 6);
}

TEST_CASE("the baselines are the documented recipes", "[configs]") {
  const auto toy = shipped("toy/baseline.yaml");
  CHECK(toy.model.backbone == "scratch");
  CHECK(wsss::choiceName(toy.supervision) == "image_labels");
  CHECK(toy.train.iterations == 1000);
  const auto full = shipped("toy/full.yaml");
  CHECK(wsss::choiceName(full.supervision) == "full");
  CHECK(full.model.backbone == toy.model.backbone);
  CHECK(full.train.iterations == toy.train.iterations);
  const auto voc = shipped("voc/baseline.yaml");
  CHECK(voc.model.backbone == "resnet50");
  CHECK(voc.model.outputStride == 16);
  CHECK(wsss::choiceName(voc.model.batchNorm) == "frozen");
  CHECK(voc.model.pretrained == "weights/resnet50.pt");
  CHECK(wsss::choiceName(voc.train.optimizer) == "sgd");
  CHECK(voc.train.headLrScale == 10);
  CHECK(voc.data.augment.cropSize == 448);
}

TEST_CASE("the pss configs are their baseline plus SupportNet, RCM and MAM", "[configs]") {
  for (const std::string dataset : {"toy", "voc"}) {
    INFO(dataset);
    const auto baseline = shipped(dataset + "/baseline.yaml");
    const auto pss = shipped(dataset + "/pss.yaml");
    CHECK(wsss::choiceName(pss.support.mode) == "ema");
    CHECK(pss.rcm.enabled);
    CHECK(pss.mam.enabled);
    CHECK(wsss::choiceName(pss.pseudo.source) == "support");
    CHECK(pss.model.backbone == baseline.model.backbone);
    CHECK(pss.train.iterations == baseline.train.iterations);
    CHECK(pss.train.lr == baseline.train.lr);
  }
  // VOC keeps every number of METHODS §1.
  const auto voc = shipped("voc/pss.yaml");
  const wsss::ExperimentConfig defaults;
  CHECK(voc.support.momentum == defaults.support.momentum);
  CHECK(voc.support.scales == std::vector<double>{0.5, 1, 1.5, 2});
  CHECK(voc.rcm.threshold == defaults.rcm.threshold);
  CHECK(voc.rcm.temperature == defaults.rcm.temperature);
  CHECK(voc.rcm.ignoreBand == 0);
  CHECK(voc.rcm.memory == 5);
  CHECK(voc.mam.weight == 1);
  CHECK(voc.mam.scales == std::vector<double>{0.5, 1, 2});
  CHECK(voc.rcm.warmupIters == 0);
  CHECK(voc.mam.warmupIters == 0);
  CHECK(defaults.support.momentum == 0.996);
  CHECK(defaults.rcm.weight == 1);
  // The toy run waits half of its 1000 steps before RCM and MAM (docs/pss.md).
  const auto toy = shipped("toy/pss.yaml");
  CHECK(toy.rcm.warmupFor(toy.train.iterations) == 500);
  CHECK(toy.mam.warmupFor(toy.train.iterations) == 500);
  // and runs a softer contrast than METHODS' τ = 0.5 (docs/pss.md, "A softer contrast").
  CHECK(toy.rcm.temperature == 2);
  // and leaves the pixels just short of the region threshold out of RCM (docs/pss.md, "An
  // ignore band").
  CHECK(toy.rcm.ignoreBand == 0.3);
}

TEST_CASE("the selfguided configs are their baseline plus refinement and L_affc", "[configs]") {
  for (const std::string dataset : {"toy", "voc"}) {
    INFO(dataset);
    const auto baseline = shipped(dataset + "/baseline.yaml");
    const auto selfguided = shipped(dataset + "/selfguided.yaml");
    CHECK(selfguided.pseudo.refine);
    CHECK(selfguided.affc.enabled);
    CHECK_FALSE(selfguided.selfguided.camTarget);  // measured harmful (docs/selfguided.md)
    CHECK(selfguided.model.backbone == baseline.model.backbone);
    CHECK(selfguided.train.iterations == baseline.train.iterations);
  }
  // VOC keeps every number of METHODS §3.
  const auto voc = shipped("voc/selfguided.yaml");
  CHECK(voc.refine.dilations == std::vector<int64_t>{1, 2, 4, 8, 12, 24});
  CHECK(voc.refine.iterations == 10);
  CHECK(voc.refine.scale == 0.5);
  CHECK(voc.refine.colourTemperature == 0.3);
  CHECK(voc.refine.positionTemperature == 0.3);
  CHECK(voc.refine.positionWeight == 0.01);
  CHECK(voc.affc.dilations == std::vector<int64_t>{1, 2, 4});
  CHECK(voc.affc.temperature == 0.1);
  CHECK(voc.affc.steps == 3);
  CHECK(voc.pseudo.highThreshold == 0.55);
  CHECK(voc.pseudo.lowThreshold == 0.35);
}

TEST_CASE("the aamr configs are their baseline plus saliency and L_aamr", "[configs]") {
  const wsss::ExperimentConfig defaults;
  for (const std::string dataset : {"toy", "voc"}) {
    INFO(dataset);
    const auto baseline = shipped(dataset + "/baseline.yaml");
    const auto aamr = shipped(dataset + "/aamr.yaml");
    CHECK(aamr.aamr.enabled);
    CHECK(wsss::trainingDataOptions(aamr).needs.saliencyFor == "aamr");
    CHECK_FALSE(wsss::trainingDataOptions(baseline).needs.saliency());
    CHECK(wsss::choiceName(aamr.supervision) == "image_labels");
    CHECK(aamr.pseudo.source == baseline.pseudo.source);
    CHECK(aamr.pseudo.refine == baseline.pseudo.refine);
    CHECK(aamr.model.backbone == baseline.model.backbone);
    CHECK(aamr.train.iterations == baseline.train.iterations);
    CHECK(aamr.seg.warmupIters == baseline.seg.warmupIters);
  }
  // VOC keeps every number of METHODS §2.
  const auto voc = shipped("voc/aamr.yaml");
  CHECK(voc.aamr.weight == 1);
  CHECK(voc.aamr.alpha == 4);
  CHECK(voc.aamr.salientThreshold == 0.5);
  CHECK(voc.aamr.highActivation == 0.9);
  CHECK(voc.aamr.disagreeWeight == 0.5);
  CHECK(defaults.aamr.alpha == 4);
  CHECK(defaults.aamr.disagreeWeight == 0.5);
  CHECK_FALSE(defaults.aamr.enabled);
}

TEST_CASE("an L_seg warm-up as long as the run is refused, unless nothing waits for it",
          "[configs]") {
  const auto load = [](const std::string& yaml) {
    return wsss::readConfigText<wsss::ExperimentConfig>("train:\n  iterations: 100\n" + yaml,
                                                        "test");
  };
  CHECK_NOTHROW(load("seg:\n  warmup_iters: 99\n"));
  CHECK_THROWS_WITH(load("seg:\n  warmup_iters: 100\n"),
                    Catch::Contains("seg.warmup_iters: a warm-up of 100 steps") &&
                        Catch::Contains("seg would never switch on"));
  // Nothing waits: the head is off, or trained on masks from step 1.
  CHECK_NOTHROW(load("seg:\n  warmup_iters: 100\n  weight: 0\n"));
  CHECK_NOTHROW(load("supervision: full\nseg:\n  warmup_iters: 100\n"));
  // With aamr on, L_aamr trains the head, so its weight decides.
  CHECK_THROWS_WITH(load("aamr:\n  enabled: true\nseg:\n  warmup_iters: 100\n  weight: 0\n"),
                    Catch::Contains("seg would never switch on"));
  CHECK_NOTHROW(load("aamr:\n  enabled: true\n  weight: 0\nseg:\n  warmup_iters: 100\n"));
  // -1 is a fifth of any run, so it always starts in time.
  CHECK_NOTHROW(wsss::readConfigText<wsss::ExperimentConfig>("train:\n  iterations: 1\n", "test"));
}

TEST_CASE("a config that still sets data.saliency or data.points is told the keys are gone",
          "[configs]") {
  wsss::test::TempDir dir("configs_removed");
  wsss::test::writeText(dir / "old.yaml", "data:\n  saliency: true\n  points: false\n");
  const std::string file = (dir / "old.yaml").lexically_normal().string();
  std::string message;
  try {
    wsss::readConfig<wsss::ExperimentConfig>(file, {});
  } catch (const wsss::ConfigError& error) {
    message = error.what();
  }
  CHECK_THAT(message, Catch::Contains("data.saliency: removed: saliency maps are read when a "
                                      "method that uses them is on (aamr)") &&
                          Catch::Contains(file));
  CHECK_THAT(message, Catch::Contains("data.points: removed: clicks are read from "
                                      "data.points_file when a method that uses them is on"));
  CHECK_THAT(message, !Catch::Contains("unknown key"));
  CHECK_THROWS_WITH(wsss::readConfig<wsss::ExperimentConfig>("", {"data.saliency=true"}),
                    Catch::Contains("data.saliency: removed") &&
                        Catch::Contains("command line override data.saliency=true"));
  // The saved config of a run trained before the keys went still resumes and evaluates.
  CHECK_NOTHROW(wsss::readConfigText<wsss::ExperimentConfig>(
      "data:\n  saliency: true\n  points: true\n", "checkpoint runs/old/last.pt"));
}

TEST_CASE("the points configs train from clicks with the from-scratch net and METHODS' rule",
          "[configs][point]") {
  for (const std::string dataset : {"toy", "voc"}) {
    INFO(dataset);
    const auto points = shipped(dataset + "/points.yaml");
    CHECK(points.supervision == wsss::Supervision::Points);
    CHECK(points.pseudo.source == wsss::PseudoSource::Points);
    CHECK(points.model.backbone == "scratch");
    CHECK(points.model.pretrained.empty());
    CHECK(points.cls.weight == 0);  // no classifier stage
    CHECK(points.point.radius == 2);
    CHECK(points.point.sigma == 0.25);
    CHECK(points.point.refine);
    CHECK(points.point.highThreshold == 0.6);
    CHECK(points.point.lowThreshold == 0.3);
    CHECK(points.point.margin == 0.1);
    // The run reads clicks, and only because of the point terms.
    CHECK(wsss::trainingDataOptions(points).needs.pointsFor == "point");
  }
  CHECK(shipped("voc/points.yaml").data.pointsFile ==
        "whats_the_point/pascal2012_trainval_main.json");
  // The toy config is the toy baseline's network and schedule.
  const auto toy = shipped("toy/points.yaml");
  const auto baseline = shipped("toy/baseline.yaml");
  CHECK(toy.model.scratchWidth == baseline.model.scratchWidth);
  CHECK(toy.train.iterations == baseline.train.iterations);
  CHECK(toy.train.lr == baseline.train.lr);
}
