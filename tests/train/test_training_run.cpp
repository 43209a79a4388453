// `wsss train` and `wsss eval` end to end on a tiny synthetic devkit: the files a run writes,
// exact resume after SIGTERM and after SIGKILL, a non-finite loss, refused config changes.
#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/config/config_loader.h"
#include "test_helpers.h"
#include "train/checkpoints/checkpoint.h"
#include "train/experiment_config.h"
#include "train/training_models.h"

namespace fs = std::filesystem;
using wsss::test::BackgroundWsss;
using wsss::test::instantToyConfig;
using wsss::test::readText;
using wsss::test::runWsss;
using wsss::test::TempDir;
using wsss::test::waitFor;
using wsss::test::writeText;

namespace {

int64_t lineCount(const fs::path& file) {
  std::ifstream in(file);
  int64_t lines = 0;
  std::string line;
  while (std::getline(in, line)) ++lines;
  return lines;
}

// The "loss" objects of metrics.jsonl, one per step, in order, as their JSON text.
std::vector<std::string> lossCurve(const fs::path& metrics) {
  std::ifstream in(metrics);
  std::vector<std::string> curve;
  std::string line;
  while (std::getline(in, line)) {
    const auto record = nlohmann::ordered_json::parse(line);
    if (record.contains("loss")) curve.push_back(record["loss"].dump());
  }
  return curve;
}

// Every parameter and buffer in a checkpoint by name: the network's, and those of each part the
// run saved beside it (SupportNet, the prototype memory) under "<part>/".
std::map<std::string, torch::Tensor> networkTensors(const std::string& checkpoint) {
  const auto progress = wsss::readCheckpointProgress(checkpoint);
  const auto config = wsss::readConfigText<wsss::ExperimentConfig>(progress.configYaml, checkpoint);
  wsss::TrainingModels models = wsss::buildTrainingModels(config, 6, torch::kCPU, false);
  const auto parts = models.checkpointParts();
  wsss::loadCheckpoint(checkpoint, *models.network, nullptr, false, parts);
  std::map<std::string, torch::Tensor> tensors;
  const auto collect = [&](const std::string& prefix, const torch::nn::Module& module) {
    for (const auto& item : module.named_parameters()) tensors[prefix + item.key()] = item.value();
    for (const auto& item : module.named_buffers()) tensors[prefix + item.key()] = item.value();
  };
  collect("", *models.network);
  for (const auto& part : parts) collect(part.name + "/", *part.module);
  return tensors;
}

void requireSameNetwork(const std::string& a, const std::string& b) {
  const auto first = networkTensors(a);
  const auto second = networkTensors(b);
  REQUIRE(first.size() == second.size());
  for (const auto& [name, tensor] : first) {
    INFO(name);
    CHECK(wsss::test::sameTensor(tensor, second.at(name)));
  }
}

}  // namespace

TEST_CASE("train writes its run folder and eval scores the checkpoint", "[train][eval]") {
  TempDir dir("train_run");
  const std::string config = instantToyConfig(dir, 6);
  const fs::path work = dir / "run";
  const auto trained = runWsss("train --config " + config + " --work-dir " + work.string());
  INFO(trained.output);
  REQUIRE(trained.exitCode == 0);
  CHECK(trained.output.find("iteration 6/6") != std::string::npos);
  CHECK(trained.output.find("val mIoU") != std::string::npos);
  CHECK(fs::exists(work / "config.yaml"));
  CHECK(lineCount(work / "metrics.jsonl") == 7);  // six steps and the final evaluation
  CHECK(lossCurve(work / "metrics.jsonl").size() == 6);
  CHECK(readText(work / "metrics.jsonl").find("\"seg\":") != std::string::npos);
  CHECK(fs::exists(work / "checkpoints/last.pt"));
  CHECK(fs::exists(work / "checkpoints/best.pt"));
  CHECK(fs::exists(work / "checkpoints/iter_000006.pt"));
  CHECK(fs::exists(work / "checkpoints/iter_000004.pt"));
  CHECK_FALSE(fs::exists(work / "checkpoints/iter_000002.pt"));
  CHECK(wsss::readCheckpointProgress((work / "checkpoints/last.pt").string()).iteration == 6);

  SECTION("eval prints the per-class table and writes metrics.json and PNGs") {
    const fs::path evalDir = dir / "eval";
    const auto scored =
        runWsss("eval --config " + config + " --checkpoint " +
                (work / "checkpoints/last.pt").string() + " --work-dir " + evalDir.string() +
                " --save-png " + (dir / "png").string() + " eval.flip=true eval.scales=[0.75,1.0]");
    INFO(scored.output);
    REQUIRE(scored.exitCode == 0);
    CHECK(scored.output.find("background") != std::string::npos);
    CHECK(scored.output.find("aeroplane") != std::string::npos);
    const auto metrics = nlohmann::ordered_json::parse(readText(evalDir / "metrics.json"));
    CHECK(metrics.at("mIoU").is_number());
    CHECK(metrics.at("per_class").contains("background"));
    CHECK(metrics.at("flip") == true);
    CHECK(metrics.at("scales") == nlohmann::ordered_json::array({0.75, 1.0}));
    CHECK(metrics.at("iteration") == 6);
    // The throughput: 4 val images over the seconds the scoring took.
    const double seconds = metrics.at("seconds").get<double>();
    CHECK(seconds > 0);
    CHECK(metrics.at("images_per_second").get<double>() == Approx(4.0 / seconds).epsilon(1e-3));
    CHECK(scored.output.find("scored 4 images in") != std::string::npos);
    int pngs = 0;
    for (const auto& entry : fs::directory_iterator(dir / "png"))
      pngs += entry.path().extension() == ".png";
    CHECK(pngs == 4);
  }
  SECTION("eval --target cam scores the pseudo-labels") {
    const auto scored =
        runWsss("eval --config " + config + " --checkpoint " +
                (work / "checkpoints/best.pt").string() + " --target cam --split train");
    INFO(scored.output);
    REQUIRE(scored.exitCode == 0);
    const auto metrics =
        nlohmann::ordered_json::parse(readText(work / "eval-train-cam/metrics.json"));
    CHECK(metrics.at("target") == "cam");
    CHECK(metrics.at("scales") == nlohmann::ordered_json::array({1.0}));
    CHECK(metrics.at("flip") == false);
  }
  SECTION("eval refuses an unknown target and a split without masks") {
    const std::string checkpoint = (work / "checkpoints/last.pt").string();
    const auto target =
        runWsss("eval --config " + config + " --checkpoint " + checkpoint + " --target crf");
    CHECK(target.exitCode == 1);
    CHECK(target.output.find("--target 'crf' is not one of seg, pseudo (or cam)") !=
          std::string::npos);
    const auto unlabelled =
        runWsss("eval --config " + config + " --checkpoint " + checkpoint + " --split test");
    CHECK(unlabelled.exitCode == 1);
    CHECK(unlabelled.output.find("split 'test'") != std::string::npos);
    CHECK(unlabelled.output.find("has no masks") != std::string::npos);
  }
  SECTION("resume and eval refuse a config that changes the network") {
    const auto resumed = runWsss("train --config " + config + " --work-dir " + work.string() +
                                 " --resume train.iterations=8 model.scratch_width=16");
    CHECK(resumed.exitCode == 1);
    CHECK(resumed.output.find("model.scratch_width: 8 -> 16") != std::string::npos);
    const auto scored = runWsss("eval --config " + config + " --checkpoint " +
                                (work / "checkpoints/last.pt").string() + " model.embed_dim=32");
    CHECK(scored.exitCode == 1);
    CHECK(scored.output.find("model.embed_dim: 16 -> 32") != std::string::npos);
  }
  SECTION("a longer schedule continues from last.pt") {
    const auto resumed = runWsss("train --config " + config + " --work-dir " + work.string() +
                                 " --resume train.iterations=8");
    INFO(resumed.output);
    REQUIRE(resumed.exitCode == 0);
    CHECK(lossCurve(work / "metrics.jsonl").size() == 8);
  }
}

namespace {

// The scores (metrics.json before "split") of `wsss eval --target pseudo --split train` on the
// straight run's last.pt of requireExactResumeAfterSigterm, made with `overrides` into
// dir/work: what two settings of the pseudo-label engine are compared by.
std::string trainPseudoLabelScores(const TempDir& dir, const std::string& config,
                                   const std::string& overrides, const std::string& work) {
  const std::string checkpoint = (dir / "straight/checkpoints/last.pt").string();
  const auto scored = runWsss("eval --config " + config + " --checkpoint " + checkpoint +
                              " --target pseudo --split train --work-dir " +
                              (dir / work).string() + overrides);
  INFO(scored.output);
  REQUIRE(scored.exitCode == 0);
  const std::string metrics = readText(dir / work / "metrics.json");
  return metrics.substr(0, metrics.find("\"split\""));
}

// Trains `config` straight through, and again with a SIGTERM after a few steps and a resume;
// both must end with the same tensors and loss curve.
void requireExactResumeAfterSigterm(const TempDir& dir, const std::string& config,
                                    const std::string& overrides, int64_t iterations) {
  const fs::path straight = dir / "straight";
  const fs::path broken = dir / "broken";
  const auto full =
      runWsss("train --config " + config + " --work-dir " + straight.string() + overrides);
  INFO(full.output);
  REQUIRE(full.exitCode == 0);
  {
    BackgroundWsss run("train --config " + config + " --work-dir " + broken.string() + overrides,
                       dir / "broken.log");
    REQUIRE(waitFor([&] { return lineCount(broken / "metrics.jsonl") >= 5; }, 120));
    run.sendSignal(SIGTERM);
    const int exitCode = run.wait();
    INFO(readText(dir / "broken.log"));
    REQUIRE(exitCode == 143);
  }
  const int64_t stoppedAt =
      wsss::readCheckpointProgress((broken / "checkpoints/last.pt").string()).iteration;
  CHECK(stoppedAt >= 5);
  CHECK(stoppedAt < iterations);
  const auto resumed = runWsss("train --config " + config + " --work-dir " + broken.string() +
                               " --resume" + overrides);
  INFO(resumed.output);
  REQUIRE(resumed.exitCode == 0);
  CHECK(resumed.output.find("resumed from") != std::string::npos);
  requireSameNetwork((straight / "checkpoints/last.pt").string(),
                     (broken / "checkpoints/last.pt").string());
  CHECK(lossCurve(broken / "metrics.jsonl") == lossCurve(straight / "metrics.jsonl"));
}

// SupportNet, RCM with its memory, MAM and support pseudo-labels on the instant config.
const std::string kSupportOverrides =
    " support.mode=ema support.scales=[0.5,1] pseudo.source=support rcm.enabled=true "
    "rcm.memory=3 mam.enabled=true mam.scales=[0.5,1]";

// The self-guided parts on the instant config: refined pseudo-labels, L_affc, the CAM target.
const std::string kSelfGuidedOverrides =
    " pseudo.refine=true refine.dilations=[1,2,4] affc.enabled=true selfguided.cam_target=true";

}  // namespace

TEST_CASE("a run stopped by SIGTERM and resumed ends bitwise equal to an unbroken run",
          "[train][resume]") {
  TempDir dir("train_resume_term");
  requireExactResumeAfterSigterm(dir, instantToyConfig(dir, 40), "", 40);
}

TEST_CASE("a SupportNet run resumes exactly: SupportNet and the prototype memory included",
          "[train][resume][support]") {
  TempDir dir("train_resume_support");
  const std::string config = instantToyConfig(dir, 24);
  requireExactResumeAfterSigterm(dir, config, kSupportOverrides, 24);
  const auto tensors = networkTensors((dir / "straight/checkpoints/last.pt").string());
  CHECK(tensors.count("support/cam_head.classifier.weight") == 1);
  CHECK(tensors.count("prototype_memory/entries") == 1);
  // SupportNet has moved away from its start but is not MainNet.
  CHECK_FALSE(wsss::test::sameTensor(tensors.at("support/cam_head.classifier.weight"),
                                     tensors.at("cam_head.classifier.weight")));
  CHECK(tensors.at("prototype_memory/filled").sum().item<int64_t>() > 0);
  const std::string metrics = readText(dir / "straight/metrics.jsonl");
  CHECK(metrics.find("\"rcm\":") != std::string::npos);
  CHECK(metrics.find("\"mam\":") != std::string::npos);

  SECTION("eval --target cam scores SupportNet's pseudo-labels from the checkpoint") {
    const std::string checkpoint = (dir / "straight/checkpoints/last.pt").string();
    const auto scored = runWsss("eval --config " + config + " --checkpoint " + checkpoint +
                                " --target cam --split train" + kSupportOverrides);
    INFO(scored.output);
    CHECK(scored.exitCode == 0);
    CHECK(scored.output.find("mIoU") != std::string::npos);
  }
  SECTION("a baseline checkpoint cannot give SupportNet's pseudo-labels") {
    const fs::path baseline = dir / "baseline";
    REQUIRE(runWsss("train --config " + config + " --work-dir " + baseline.string() +
                    " train.iterations=2")
                .exitCode == 0);
    const auto scored = runWsss("eval --config " + config + " --checkpoint " +
                                (baseline / "checkpoints/last.pt").string() +
                                " --target cam train.iterations=2" + kSupportOverrides);
    CHECK(scored.exitCode == 1);
    CHECK(scored.output.find("has no SupportNet weights") != std::string::npos);
  }
  SECTION("a baseline run resumed with SupportNet on starts it as a copy of MainNet") {
    const fs::path baseline = dir / "grown";
    REQUIRE(runWsss("train --config " + config + " --work-dir " + baseline.string() +
                    " train.iterations=2")
                .exitCode == 0);
    const auto resumed = runWsss("train --config " + config + " --work-dir " + baseline.string() +
                                 " --resume train.iterations=4" + kSupportOverrides);
    INFO(resumed.output);
    CHECK(resumed.exitCode == 0);
    CHECK(resumed.output.find("has no 'support'; it starts afresh") != std::string::npos);
  }
}

TEST_CASE("a self-guided run resumes exactly and eval scores its refined pseudo-labels",
          "[train][resume][selfguided]") {
  TempDir dir("train_resume_selfguided");
  const std::string config = instantToyConfig(dir, 24);
  requireExactResumeAfterSigterm(dir, config, kSelfGuidedOverrides, 24);
  const std::string metrics = readText(dir / "straight/metrics.jsonl");
  CHECK(metrics.find("\"affc\":") != std::string::npos);
  CHECK(metrics.find("\"cam_target\":") != std::string::npos);

  // The refinement changes the labels that are scored.
  CHECK(trainPseudoLabelScores(dir, config, kSelfGuidedOverrides, "refined") !=
        trainPseudoLabelScores(dir, config, kSelfGuidedOverrides + " pseudo.refine=false", "raw"));
}

TEST_CASE("a points run resumes exactly and eval scores the pseudo-masks it makes",
          "[train][resume][point]") {
  TempDir dir("train_resume_points");
  const std::string config = instantToyConfig(dir, 24);
  const std::string points =
      " supervision=points pseudo.source=points cls.weight=0 point.warmup_iters=4";
  requireExactResumeAfterSigterm(dir, config, points, 24);
  const std::string metrics = readText(dir / "straight/metrics.jsonl");
  CHECK(metrics.find("\"point\":") != std::string::npos);
  CHECK(metrics.find("\"pm\":") != std::string::npos);
  CHECK(metrics.find("\"cls\":") == std::string::npos);

  const std::string checkpoint = (dir / "straight/checkpoints/last.pt").string();
  const auto evalPseudo = [&](const std::string& target, const std::string& overrides) {
    const fs::path work = dir / ("eval-" + target);
    const auto scored = runWsss("eval --config " + config + " --checkpoint " + checkpoint +
                                " --target " + target + " --split train --work-dir " +
                                work.string() + points + overrides);
    INFO(scored.output);
    REQUIRE(scored.exitCode == 0);
    const auto json = nlohmann::ordered_json::parse(readText(work / "metrics.json"));
    CHECK(json.at("target") == target);
    return json.at("mIoU").get<double>();
  };
  // `cam` is the older word for the same target.
  CHECK(evalPseudo("pseudo", "") == evalPseudo("cam", ""));
  // The spatial filter changes the masks that are scored.
  CHECK(evalPseudo("pseudo", "") != evalPseudo("pseudo", " point.sigma=0"));
}

TEST_CASE("a Mat-Label run resumes exactly and eval scores the matted pseudo-labels it makes",
          "[train][resume][matting]") {
  TempDir dir("train_resume_matlabel");
  const std::string config = instantToyConfig(dir, 24);
  const std::string matlabel =
      " model.cam_head=d2cam pseudo.source=d2cam matting.enabled=true matting.max_iterations=20";
  requireExactResumeAfterSigterm(dir, config, matlabel, 24);
  const std::string metrics = readText(dir / "straight/metrics.jsonl");
  CHECK(metrics.find("\"sep\":") != std::string::npos);
  CHECK(metrics.find("\"ex\":") != std::string::npos);
  CHECK(metrics.find("\"seg\":") != std::string::npos);

  // Matting changes the labels that are scored.
  CHECK(trainPseudoLabelScores(dir, config, matlabel, "matted") !=
        trainPseudoLabelScores(dir, config, matlabel + " matting.enabled=false", "thresholded"));
}

TEST_CASE("Ctrl-C saves last.pt and exits with 130", "[train][resume]") {
  TempDir dir("train_interrupt");
  const std::string config = instantToyConfig(dir, 40);
  const fs::path work = dir / "run";
  BackgroundWsss run("train --config " + config + " --work-dir " + work.string(), dir / "run.log");
  REQUIRE(waitFor([&] { return lineCount(work / "metrics.jsonl") >= 3; }, 120));
  run.sendSignal(SIGINT);
  const int exitCode = run.wait();
  INFO(readText(dir / "run.log"));
  REQUIRE(exitCode == 130);
  CHECK(readText(dir / "run.log").find("continue with --resume") != std::string::npos);
  const int64_t savedAt =
      wsss::readCheckpointProgress((work / "checkpoints/last.pt").string()).iteration;
  CHECK(savedAt == static_cast<int64_t>(lossCurve(work / "metrics.jsonl").size()));
}

TEST_CASE("a run killed after a checkpoint resumes from it to the same weights and curve",
          "[train][resume]") {
  TempDir dir("train_resume_kill");
  const std::string config = instantToyConfig(dir, 40);
  const fs::path straight = dir / "straight";
  const fs::path killed = dir / "killed";
  REQUIRE(runWsss("train --config " + config + " --work-dir " + straight.string()).exitCode == 0);
  {
    BackgroundWsss run("train --config " + config + " --work-dir " + killed.string(),
                       dir / "killed.log");
    // Killed a few steps after a checkpoint, so metrics.jsonl runs ahead of last.pt.
    REQUIRE(waitFor([&] { return fs::exists(killed / "checkpoints/iter_000006.pt"); }, 120));
    REQUIRE(waitFor([&] { return lineCount(killed / "metrics.jsonl") >= 7; }, 120));
    run.sendSignal(SIGKILL);
    CHECK(run.wait() == 128 + SIGKILL);
  }
  const auto resumed = runWsss("train --config " + config + " --resume " +
                               (killed / "checkpoints/last.pt").string());
  INFO(resumed.output);
  REQUIRE(resumed.exitCode == 0);
  requireSameNetwork((straight / "checkpoints/last.pt").string(),
                     (killed / "checkpoints/last.pt").string());
  CHECK(lossCurve(killed / "metrics.jsonl") == lossCurve(straight / "metrics.jsonl"));
}

TEST_CASE("a non-finite loss stops the run naming the step and every term", "[train]") {
  TempDir dir("train_nan");
  const std::string config = instantToyConfig(dir, 12);
  const fs::path work = dir / "run";
  // The first step has learning rate 0 and is checkpointed; the huge rate of the next ones
  // blows the weights up.
  const auto run = runWsss("train --config " + config + " --work-dir " + work.string() +
                           " train.lr=1e30 train.optimizer=sgd train.warmup_iters=4 "
                           "train.warmup_factor=0 train.checkpoint_interval=1");
  INFO(run.output);
  CHECK(run.exitCode == 1);
  const size_t at = run.output.find("non-finite loss at iteration ");
  REQUIRE(at != std::string::npos);
  const int64_t failedAt = std::stoll(run.output.substr(at + 29));
  CHECK(run.output.find("cls = ") != std::string::npos);
  CHECK(run.output.find("total = ") != std::string::npos);
  CHECK(run.output.find("the newest checkpoint is") != std::string::npos);
  // The failing step wrote nothing: last.pt is the step before it, whole and loadable.
  const std::string last = (work / "checkpoints/last.pt").string();
  REQUIRE(fs::exists(last));
  CHECK(wsss::readCheckpointProgress(last).iteration == failedAt - 1);
  CHECK_NOTHROW(networkTensors(last));
  CHECK(lossCurve(work / "metrics.jsonl").size() == static_cast<size_t>(failedAt - 1));
}

TEST_CASE("full supervision trains the segmentation head on the masks from the first step",
          "[train]") {
  TempDir dir("train_full");
  const std::string config = instantToyConfig(dir, 2);
  const fs::path work = dir / "run";
  const auto run =
      runWsss("train --config " + config + " --work-dir " + work.string() + " supervision=full");
  INFO(run.output);
  REQUIRE(run.exitCode == 0);
  const auto curve = lossCurve(work / "metrics.jsonl");
  REQUIRE(curve.size() == 2);
  CHECK(curve[0].find("\"seg\":") != std::string::npos);
}

TEST_CASE("train without a checkpoint to resume says what to do", "[train]") {
  TempDir dir("train_no_resume");
  const auto run =
      runWsss("train --config " + wsss::test::sourceDir().string() +
              "/configs/toy/baseline.yaml --work-dir " + (dir / "run").string() + " --resume");
  CHECK(run.exitCode == 1);
  CHECK(run.output.find("last.pt does not exist") != std::string::npos);
}

TEST_CASE("train refuses to start over a folder that holds a run", "[train]") {
  TempDir dir("train_over_run");
  const std::string config = wsss::test::instantToyConfig(dir, 2);
  const std::string work = (dir / "run").string();
  REQUIRE(runWsss("train --config " + config + " --work-dir " + work).exitCode == 0);
  const std::string last = work + "/checkpoints/last.pt";
  const std::string before = wsss::test::readText(last);
  const auto again = runWsss("train --config " + config + " --work-dir " + work);
  CHECK(again.exitCode == 1);
  CHECK(again.output.find("error: work dir " + work + " already holds a run") != std::string::npos);
  CHECK(again.output.find("--resume") != std::string::npos);
  CHECK(wsss::test::readText(last) == before);

  // Without last.pt, a periodic checkpoint still marks the run, and is named to resume from.
  std::filesystem::rename(last, work + "/last.pt.aside");
  const auto overIter = runWsss("train --config " + config + " --work-dir " + work);
  CHECK(overIter.exitCode == 1);
  CHECK(overIter.output.find("already holds a run (" + work + "/checkpoints/iter_") !=
        std::string::npos);
  CHECK(overIter.output.find("continue it with --resume " + work + "/checkpoints/iter_") !=
        std::string::npos);

  // A run killed before its first checkpoint leaves only its log, which is not appended to.
  const std::string logOnly = (dir / "log-only").string();
  std::filesystem::create_directories(logOnly);
  wsss::test::writeText(logOnly + "/metrics.jsonl", "{\"iteration\":1}\n");
  const auto overLog = runWsss("train --config " + config + " --work-dir " + logOnly);
  CHECK(overLog.exitCode == 1);
  CHECK(overLog.output.find("wrote no checkpoint") != std::string::npos);
  CHECK(wsss::test::readText(logOnly + "/metrics.jsonl") == "{\"iteration\":1}\n");
}

TEST_CASE("a ResNet run starts from torchvision weights - resume and eval do not need the file",
          "[train][pretrained]") {
  TempDir dir("train_pretrained");
  const std::string config = instantToyConfig(dir, 2);
  const fs::path weights = dir / "resnet18.pt";
  const auto exported = wsss::test::runReferenceScript("export_torchvision_weights.py",
                                                       "--arch resnet18 --out " + weights.string());
  INFO(exported.output);
  REQUIRE(exported.exitCode == 0);
  const fs::path work = dir / "run";
  const std::string resnet =
      " model.backbone=resnet18 model.seg_channels=32 model.pretrained=" + weights.string();
  const auto trained =
      runWsss("train --config " + config + " --work-dir " + work.string() + resnet);
  INFO(trained.output);
  REQUIRE(trained.exitCode == 0);

  fs::remove(weights);
  const auto resumed = runWsss("train --config " + config + " --work-dir " + work.string() +
                               " --resume train.iterations=3" + resnet);
  INFO(resumed.output);
  CHECK(resumed.exitCode == 0);
  const auto scored = runWsss("eval --config " + config + " --checkpoint " +
                              (work / "checkpoints/last.pt").string() + resnet);
  INFO(scored.output);
  CHECK(scored.exitCode == 0);
  const auto fresh =
      runWsss("train --config " + config + " --work-dir " + (dir / "other").string() + resnet);
  CHECK(fresh.exitCode == 1);
  CHECK(fresh.output.find("resnet18.pt") != std::string::npos);
}

TEST_CASE("a ResNet run of one image per step is refused before it starts", "[train]") {
  TempDir dir("train_resnet_batch");
  const std::string config = instantToyConfig(dir, 2);
  const auto run = runWsss("train --config " + config + " --work-dir " + (dir / "run").string() +
                           " model.backbone=resnet18 train.batch_size=1");
  CHECK(run.exitCode == 1);
  CHECK(run.output.find("train.batch_size is 1") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "run/checkpoints"));
}

TEST_CASE("a ResNet with frozen BatchNorm and no pretrained weights is warned about", "[train]") {
  TempDir dir("train_resnet_warning");
  const std::string config = instantToyConfig(dir, 1);
  const auto run = runWsss("train --config " + config + " --work-dir " + (dir / "run").string() +
                           " model.backbone=resnet18 model.seg_channels=32");
  INFO(run.output);
  CHECK(run.exitCode == 0);
  CHECK(run.output.find("model.batch_norm is frozen but model.pretrained is empty") !=
        std::string::npos);
}

TEST_CASE("bench --what train times the training step per setting", "[train][bench]") {
  TempDir dir("bench_train");
  const std::string config = instantToyConfig(dir, 4);
  const auto bench = runWsss("bench --config " + config + " --what train --batches 2");
  INFO(bench.output);
  REQUIRE(bench.exitCode == 0);
  CHECK(bench.output.find("training step of scratch on cpu") != std::string::npos);
  CHECK(bench.output.find("threads 1") != std::string::npos);
  CHECK(bench.output.find("1.00x") != std::string::npos);
  const auto wrong = runWsss("bench --config " + config + " --what model");
  CHECK(wrong.exitCode == 1);
  CHECK(wrong.output.find("--what: 'model' is not one of loader, train") != std::string::npos);
}

TEST_CASE("bench --what methods times the baseline step against each part switched on",
          "[train][bench][support]") {
  TempDir dir("bench_methods");
  const std::string config = instantToyConfig(dir, 4);
  const auto bench =
      runWsss("bench --config " + config + " --what methods --batches 1" + kSupportOverrides);
  INFO(bench.output);
  REQUIRE(bench.exitCode == 0);
  for (const char* row :
       {"baseline", "+ support pseudo-labels", "+ rcm", "+ mam", "as configured"}) {
    INFO(row);
    CHECK(bench.output.find(row) != std::string::npos);
  }
}

TEST_CASE("bench --what refine times the refinement against the rest of the step",
          "[train][bench][selfguided]") {
  TempDir dir("bench_refine");
  const std::string config = instantToyConfig(dir, 4);
  const auto bench = runWsss("bench --config " + config +
                             " --what refine --batches 1 --channels 5" + kSelfGuidedOverrides);
  INFO(bench.output);
  REQUIRE(bench.exitCode == 0);
  for (const char* row : {"training step without refinement", "refinement, 5 maps per image",
                          "refinement, present classes"}) {
    INFO(row);
    CHECK(bench.output.find(row) != std::string::npos);
  }
  const auto methods =
      runWsss("bench --config " + config + " --what methods --batches 1" + kSelfGuidedOverrides);
  INFO(methods.output);
  REQUIRE(methods.exitCode == 0);
  for (const char* row : {"+ refinement", "+ affc", "+ cam_target"}) {
    INFO(row);
    CHECK(methods.output.find(row) != std::string::npos);
  }
}
