#include "train/experiment_config.h"

#include <filesystem>
#include <functional>

#include "core/atomic_file.h"
#include "core/config/config_loader.h"
#include "core/config/option_table.h"

namespace wsss {

void ExperimentConfig::describe(OptionTable& table) {
  table.field("seed", seed, "seed of the sampler, augmentation and initialisation").atLeast(0);
  table.choice("device", device, "where to run: cuda when available (auto), or forced");
  table.choice("supervision", supervision,
               "train from image-level labels (pseudo-labels made on the fly), from the "
               "ground-truth masks (the fully supervised upper bound), from a folder of "
               "pseudo-label PNGs (pseudo.dir, e.g. written by wsss pseudo), or from clicks "
               "(data.points_file; L_point and L_pm of the point: section, METHODS §5)");
  table.section("model", model, "the network: backbone, heads, pretrained weights");
  table.section("d2cam", model.d2cam,
                "the D2CAM head (model.cam_head: d2cam) and its two constraints (METHODS §4)");
  table.section("data", data, "dataset, augmentation and loader");
  table.section("train", train, "training loop, optimiser, schedule, checkpoints");
  table.section("pseudo", pseudo, "pseudo-labels made on the fly for the segmentation head");
  table.section("refine", refine,
                "the image-guided refinement operator (METHODS §3), wherever maps are refined");
  table.section("support", support, "SupportNet: the gradient-free copy of MainNet (METHODS §1)");
  table.section("cls", cls, "image-level classification loss");
  table.section("seg", seg, "segmentation loss on the pseudo-labels (or masks)");
  table.section("rcm", rcm, "Regional Contrastive Module: prototype contrast (METHODS §1)");
  table.section("mam", mam, "Multi-scale Attentive Module: multi-scale CAM guidance (METHODS §1)");
  table.section("affc", affc,
                "feature-affinity consistency: the CAM pulled toward its propagation along the "
                "mid features (METHODS §3)");
  table.section("selfguided", selfguided,
                "alternate updates: the CAM trained on the step's own pseudo-labels (METHODS §3)");
  table.section("aamr", aamr,
                "activation-aware mask refinement: saliency and the CAM build the segmentation "
                "target (METHODS §2)");
  table.section("point", point,
                "point supervision: L_point at the clicks, L_pm on pseudo-masks made from the "
                "clicks and the decoder features (METHODS §5)");
  table.section("matting", matting,
                "Mat-Label's matting refiner: trimaps from the pseudo-label maps, alpha solved "
                "on their unknown pixels (METHODS §4)");
  table.section("cci", cci,
                "class-conditional inference: the pseudo-labels of wsss pseudo (METHODS §2)");
  table.section("eval", eval, "inference used by evaluation");
  table.section("crf", crf,
                "the dense CRF: eval.crf over the segmentation head, pseudo.crf over wsss "
                "pseudo's labels (docs/crf.md)");

  // The parts that read SupportNet's maps cannot run without it. Rules run after parsing, so
  // they read the members, not their values now.
  const auto needsSupport = [this](std::function<bool()> used, std::string what) {
    return [this, used, what] {
      return !used() || support.enabled()
                 ? std::string()
                 : what +
                       " needs SupportNet, but support.mode is off: set support.mode to ema "
                       "(or shared)";
    };
  };
  table.declared("rcm.enabled").rule(needsSupport([this] { return rcm.enabled; }, "rcm"));
  table.declared("mam.enabled").rule(needsSupport([this] { return mam.enabled; }, "mam"));
  // A warm-up as long as the run would leave a switched-on loss silently off.
  const auto startsInRun = [this](std::function<bool()> used, std::function<int64_t()> warmup,
                                  std::string loss, std::string switchOff) {
    return [this, used, warmup, loss, switchOff] {
      if (!used() || warmup() < train.iterations) return std::string();
      return "a warm-up of " + std::to_string(warmup()) +
             " steps is not shorter than train.iterations (" + std::to_string(train.iterations) +
             "), so " + loss + " would never switch on: lower " + loss + ".warmup_iters or set " +
             switchOff;
    };
  };
  // The head's loss on pseudo-labels waits for seg.warmup_iters (masks train it from step 1);
  // with aamr on, aamr.weight is that loss's weight.
  table.declared("seg.warmup_iters")
      .rule(startsInRun(
          [this] {
            return !trainsOnMasks() && supervision != Supervision::Points &&
                   (aamr.enabled ? aamr.weight : seg.weight) > 0;
          },
          [this] { return seg.warmupFor(train.iterations); }, "seg",
          "seg.weight: 0 (aamr.weight: 0 with aamr on)"));
  table.declared("rcm.warmup_iters")
      .rule(startsInRun([this] { return rcm.enabled; },
                        [this] { return rcm.warmupFor(train.iterations); }, "rcm",
                        "rcm.enabled: false"));
  table.declared("mam.warmup_iters")
      .rule(startsInRun([this] { return mam.enabled; },
                        [this] { return mam.warmupFor(train.iterations); }, "mam",
                        "mam.enabled: false"));
  table.declared("pseudo.source")
      .rule(needsSupport([this] { return pseudo.source == PseudoSource::Support; },
                         "pseudo.source support"));
  table.declared("pseudo.dir").rule([this] {
    return supervision != Supervision::PseudoDir || !pseudo.dir.empty()
               ? std::string()
               : "supervision pseudo_dir needs pseudo.dir: the folder of pseudo-label PNGs "
                 "(<id>.png, e.g. written by wsss pseudo --work-dir DIR into DIR/labels)";
  });
  // Clicks make their own pseudo-masks, and only a points run reads clicks.
  table.declared("pseudo.source").rule([this] {
    if (supervision == Supervision::Points && point.maskWeight > 0 &&
        pseudo.source != PseudoSource::Points) {
      return "supervision points trains L_pm on masks made from the clicks, so it needs "
             "pseudo.source: points, not " +
             choiceName(pseudo.source) + " (or point.mask_weight: 0 for L_point alone)";
    }
    if (pseudo.source == PseudoSource::Points && supervision != Supervision::Points) {
      return std::string(
          "pseudo.source points makes masks from clicks, which only supervision points reads");
    }
    return std::string();
  });
  table.declared("pseudo.source").rule([this] {
    return pseudo.source != PseudoSource::D2cam || model.camHead == CamHeadKind::D2cam
               ? std::string()
               : std::string("pseudo.source d2cam reads the D2CAM head's fg/bg maps: set "
                             "model.cam_head: d2cam");
  });
  table.declared("point.warmup_iters")
      .rule(startsInRun(
          [this] { return supervision == Supervision::Points && point.maskWeight > 0; },
          [this] { return point.warmupFor(train.iterations); }, "point",
          "point.mask_weight: 0"));
  table.declared("aamr.enabled").rule([this] {
    if (!aamr.enabled) return std::string();
    return supervision == Supervision::ImageLabels
               ? std::string()
               : "aamr builds its target from the CAM, so it needs supervision image_labels, "
                 "not " +
                     choiceName(supervision);
  });
}

std::string experimentYaml(const ExperimentConfig& config) {
  ExperimentConfig copy = config;
  return configToYaml(copy);
}

std::string writeRunConfig(const std::string& workDir, const ExperimentConfig& config) {
  const std::string path = (std::filesystem::path(workDir) / "config.yaml").string();
  writeFileAtomically(path, experimentYaml(config));
  return path;
}

}  // namespace wsss
