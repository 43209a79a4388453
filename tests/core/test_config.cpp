#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "core/config/config_loader.h"
#include "test_helpers.h"

namespace {

using wsss::OptionTable;
using wsss::test::TempDir;
using wsss::test::writeText;

struct AugmentOptions {
  std::vector<double> scaleRange = {0.5, 2.0};
  bool flip = true;
  void describe(OptionTable& table) {
    table.field("scale_range", scaleRange, "random rescale range").length(2, 2).atLeast(0.0);
    table.field("flip", flip, "random horizontal flip");
  }
};

struct DataOptions {
  std::string root = "datasets/toy";
  std::string trainSplit = "train";
  int64_t workers = 2;
  std::vector<std::string> classes = {"cat", "dog"};
  std::vector<int64_t> cropSize = {64, 64};
  AugmentOptions augment;
  void describe(OptionTable& table) {
    table.field("root", root, "folder holding JPEGImages").nonEmpty();
    table.field("train_split", trainSplit, "split to train on");
    table.field("workers", workers, "loader threads").atLeast(0).atMost(64);
    table.field("classes", classes, "class names");
    table.field("crop_size", cropSize, "crop height and width").length(2, 2).atLeast(1);
    table.section("augment", augment, "augmentation");
  }
};

struct TrainOptions {
  int64_t iterations = 1000;
  int64_t batchSize = 8;
  double lr = 0.01;
  double weightDecay = 1e-4;
  void describe(OptionTable& table) {
    table.field("iterations", iterations, "optimiser steps").atLeast(1);
    table.field("batch_size", batchSize, "images per step").atLeast(1);
    table.field("lr", lr, "learning rate").atLeast(0.0);
    table.field("weight_decay", weightDecay, "L2 penalty").atLeast(0.0);
  }
};

struct RootOptions {
  int64_t seed = 0;
  std::string device = "auto";
  DataOptions data;
  TrainOptions train;
  bool amp = false;
  void describe(OptionTable& table) {
    table.field("seed", seed, "random seed");
    table.choice("device", device, {"auto", "cpu", "cuda"}, "where tensors live");
    table.section("data", data, "dataset and augmentation");
    table.section("train", train, "optimisation");
    table.field("amp", amp, "mixed precision");
  }
};

RootOptions load(const std::filesystem::path& file, const std::vector<std::string>& overrides) {
  return wsss::readConfig<RootOptions>(file.string(), overrides);
}

// The message of the wsss::Error that `action` throws, or "" when it throws none.
template <class Action>
std::string errorOf(Action action) {
  try {
    action();
  } catch (const wsss::Error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("config: defaults stay when no file or override is given", "[config]") {
  const auto options = wsss::readConfig<RootOptions>("", {});
  CHECK(options.seed == 0);
  CHECK(options.device == "auto");
  CHECK(options.data.root == "datasets/toy");
  CHECK(options.data.augment.scaleRange == std::vector<double>{0.5, 2.0});
  CHECK(options.train.iterations == 1000);
  CHECK(options.train.lr == 0.01);
}

TEST_CASE("config: a file sets fields and leaves the rest at defaults", "[config]") {
  TempDir dir("config");
  writeText(dir / "x.yaml",
            "seed: 7\n"
            "device: cpu\n"
            "data:\n"
            "  root: /data/voc\n"
            "  classes: [aeroplane, bicycle, bird]\n"
            "  augment:\n"
            "    scale_range: [0.75, 1.25]\n"
            "    flip: false\n"
            "train:\n"
            "  lr: 2.5e-3\n"
            "amp: true\n");
  const auto options = load(dir / "x.yaml", {});
  CHECK(options.seed == 7);
  CHECK(options.device == "cpu");
  CHECK(options.data.root == "/data/voc");
  CHECK(options.data.classes == std::vector<std::string>{"aeroplane", "bicycle", "bird"});
  CHECK(options.data.augment.scaleRange == std::vector<double>{0.75, 1.25});
  CHECK_FALSE(options.data.augment.flip);
  CHECK(options.train.lr == 2.5e-3);
  CHECK(options.train.iterations == 1000);
  CHECK(options.data.workers == 2);
  CHECK(options.amp);
}

TEST_CASE("config: three levels of base with paths relative to each file", "[config]") {
  TempDir dir("config");
  writeText(dir / "base.yaml", "seed: 1\ndata:\n  workers: 4\n  root: base_root\n");
  writeText(dir / "voc" / "method.yaml",
            "base: ../base.yaml\ndata:\n  workers: 6\ntrain:\n  iterations: 500\n");
  writeText(dir / "voc" / "ablation" / "run.yaml",
            "base: ../method.yaml\ntrain:\n  batch_size: 2\n");
  const auto options = load(dir / "voc" / "ablation" / "run.yaml", {});
  CHECK(options.seed == 1);
  CHECK(options.data.root == "base_root");
  CHECK(options.data.workers == 6);
  CHECK(options.train.iterations == 500);
  CHECK(options.train.batchSize == 2);
}

TEST_CASE("config: a list of bases merges left to right, then the file wins", "[config]") {
  TempDir dir("config");
  writeText(dir / "parts" / "a.yaml", "seed: 1\ndevice: cpu\ntrain:\n  lr: 0.5\n");
  writeText(dir / "parts" / "b.yaml", "seed: 2\ntrain:\n  iterations: 20\n");
  writeText(dir / "x.yaml", "base: [parts/a.yaml, parts/b.yaml]\ntrain:\n  lr: 0.25\n");
  const auto options = load(dir / "x.yaml", {});
  CHECK(options.seed == 2);
  CHECK(options.device == "cpu");
  CHECK(options.train.iterations == 20);
  CHECK(options.train.lr == 0.25);
}

TEST_CASE("config: nested maps merge deeply while lists replace", "[config]") {
  TempDir dir("config");
  writeText(dir / "base.yaml",
            "data:\n  root: r\n  classes: [a, b, c]\n"
            "  augment:\n    scale_range: [0.1, 0.2]\n    flip: false\n");
  writeText(dir / "x.yaml", "base: base.yaml\ndata:\n  classes: [z]\n  augment:\n    flip: true\n");
  const auto options = load(dir / "x.yaml", {});
  CHECK(options.data.root == "r");
  CHECK(options.data.classes == std::vector<std::string>{"z"});
  CHECK(options.data.augment.scaleRange == std::vector<double>{0.1, 0.2});
  CHECK(options.data.augment.flip);
}

TEST_CASE("config: overrides of every type", "[config]") {
  const auto options = wsss::readConfig<RootOptions>(
      "", {"train.iterations=100", "train.lr=1e-3", "amp=true", "data.root=/x/y",
           "data.augment.scale_range=[0.5,1.5]", "data.classes=[a,b]", "data.crop_size=[32, 48]",
           "device=cuda", "seed=-3"});
  CHECK(options.train.iterations == 100);
  CHECK(options.train.lr == 1e-3);
  CHECK(options.amp);
  CHECK(options.data.root == "/x/y");
  CHECK(options.data.augment.scaleRange == std::vector<double>{0.5, 1.5});
  CHECK(options.data.classes == std::vector<std::string>{"a", "b"});
  CHECK(options.data.cropSize == std::vector<int64_t>{32, 48});
  CHECK(options.device == "cuda");
  CHECK(options.seed == -3);
}

TEST_CASE("config: a float field takes an integer, a string field any scalar", "[config]") {
  const auto options = wsss::readConfig<RootOptions>("", {"train.lr=1", "data.root=123"});
  CHECK(options.train.lr == 1.0);
  CHECK(options.data.root == "123");
}

TEST_CASE("config: overrides win over the file and its bases", "[config]") {
  TempDir dir("config");
  writeText(dir / "base.yaml", "train:\n  iterations: 5\n");
  writeText(dir / "x.yaml", "base: base.yaml\ntrain:\n  iterations: 50\n  batch_size: 3\n");
  const auto options = load(dir / "x.yaml", {"train.iterations=500"});
  CHECK(options.train.iterations == 500);
  CHECK(options.train.batchSize == 3);
}

TEST_CASE("config: an override of the wrong type names the key, value and override", "[config]") {
  const std::string message =
      errorOf([] { wsss::readConfig<RootOptions>("", {"train.iterations=abc"}); });
  CHECK_THAT(message, Catch::Contains("train.iterations: expected an integer, got 'abc' "
                                      "(command line override train.iterations=abc)"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"train.iterations=1.5"}); }),
             Catch::Contains("expected an integer, got '1.5'"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"train.lr=fast"}); }),
             Catch::Contains("train.lr: expected a number, got 'fast'"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"amp=maybe"}); }),
             Catch::Contains("amp: expected true or false, got 'maybe'"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"data.augment.scale_range=0.5"}); }),
             Catch::Contains("data.augment.scale_range: expected a list of numbers, got '0.5'"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"data.crop_size=[32, x]"}); }),
             Catch::Contains("data.crop_size: expected an integer, got 'x' at index 1"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"train.iterations=\"5\""}); }),
             Catch::Contains("expected an integer, got the quoted string \"5\""));
}

TEST_CASE("config: malformed overrides are errors", "[config]") {
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"train.iterations"}); }),
             Catch::Contains("'train.iterations': an override must look like key=value"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"=5"}); }),
             Catch::Contains("'=5': an override needs a key before '='"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"data.classes=[a,b"}); }),
             Catch::Contains("data.classes: the value is not valid YAML"));
}

TEST_CASE("config: an override with an unknown key suggests the nearest one", "[config]") {
  const std::string message =
      errorOf([] { wsss::readConfig<RootOptions>("", {"train.iteratons=10"}); });
  CHECK_THAT(message, Catch::Contains("train.iteratons: unknown key (command line override "
                                      "train.iteratons=10); did you mean train.iterations?"));
  // A known leaf name in the wrong section points at the section that has it.
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"train.workers=1"}); }),
             Catch::Contains("did you mean data.workers?"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"trian.lr=1"}); }),
             Catch::Contains("did you mean train.lr?"));
  // Far from every key: no guess, but the keys the section does have.
  const std::string far = errorOf([] { wsss::readConfig<RootOptions>("", {"train.zzz=1"}); });
  CHECK_THAT(far, Catch::Contains("train.zzz: unknown key"));
  CHECK_THAT(far, !Catch::Contains("did you mean"));
  CHECK_THAT(far, Catch::Contains("keys in train: iterations, batch_size, lr, weight_decay"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"nothing_like_it=1"}); }),
             Catch::Contains("top-level keys: seed, device, data, train, amp"));
}

TEST_CASE("config: every unknown key in the files is listed in one error", "[config]") {
  TempDir dir("config");
  writeText(dir / "base.yaml", "dta:\n  root: x\n");
  writeText(dir / "x.yaml",
            "base: base.yaml\n"
            "data:\n  rooot: /x\n  augment:\n    flipp: true\n"
            "train:\n  lrr: 0.1\n  zzzzzzzz: 1\n");
  const std::string base = (dir / "base.yaml").lexically_normal().string();
  const std::string file = (dir / "x.yaml").lexically_normal().string();
  std::vector<std::string> problems;
  try {
    load(dir / "x.yaml", {"seeed=3"});
  } catch (const wsss::ConfigError& error) {
    problems = error.problems();
    const std::string message = error.what();
    CHECK_THAT(message, Catch::Contains("dta: unknown key (" + base + "); did you mean data?"));
    CHECK_THAT(message,
               Catch::Contains("data.rooot: unknown key (" + file + "); did you mean data.root?"));
    CHECK_THAT(message, Catch::Contains("data.augment.flipp: unknown key (" + file +
                                        "); did you mean data.augment.flip?"));
    CHECK_THAT(message,
               Catch::Contains("train.lrr: unknown key (" + file + "); did you mean train.lr?"));
    CHECK_THAT(message, Catch::Contains("train.zzzzzzzz: unknown key (" + file +
                                        "); keys in train: iterations, batch_size, lr, "
                                        "weight_decay"));
    CHECK_THAT(message, Catch::Contains("seeed: unknown key (command line override seeed=3); "
                                        "did you mean seed?"));
  }
  REQUIRE(problems.size() == 6);
}

TEST_CASE("config: a section given a scalar and a leaf given a map are type errors", "[config]") {
  TempDir dir("config");
  writeText(dir / "x.yaml", "data: 5\ntrain:\n  lr:\n    value: 1\n");
  const std::string message = errorOf([&] { load(dir / "x.yaml", {}); });
  CHECK_THAT(message, Catch::Contains("data: is a section, expected a map of its keys, got '5'"));
  CHECK_THAT(message, Catch::Contains("train.lr: expected a number, got a map"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"train=3"}); }),
             Catch::Contains("train: is a section"));
}

TEST_CASE("config: a key given twice in one map is an error", "[config]") {
  TempDir dir("config");
  writeText(dir / "x.yaml", "seed: 1\nseed: 2\ntrain:\n  lr: 0.1\n  lr: 0.2\n");
  const std::string message = errorOf([&] { load(dir / "x.yaml", {}); });
  CHECK_THAT(message, Catch::Contains("seed: given twice"));
  CHECK_THAT(message, Catch::Contains("train.lr: given twice"));
}

TEST_CASE("config: a section may be overridden with a flow map", "[config]") {
  const auto options = wsss::readConfig<RootOptions>("", {"train={iterations: 7, lr: 0.5}"});
  CHECK(options.train.iterations == 7);
  CHECK(options.train.lr == 0.5);
}

TEST_CASE("config: missing files name themselves and whoever referenced them", "[config]") {
  TempDir dir("config");
  const std::string missing = (dir / "nope.yaml").string();
  CHECK_THAT(errorOf([&] { load(dir / "nope.yaml", {}); }),
             Catch::Contains("config file not found: " + missing));
  writeText(dir / "sub" / "x.yaml", "base: ../gone.yaml\n");
  const std::string message = errorOf([&] { load(dir / "sub" / "x.yaml", {}); });
  CHECK_THAT(message, Catch::Contains("config file not found: " +
                                      (dir / "gone.yaml").lexically_normal().string()));
  CHECK_THAT(message, Catch::Contains("named in base: of " +
                                      (dir / "sub" / "x.yaml").lexically_normal().string()));
}

TEST_CASE("config: a base cycle shows the chain", "[config]") {
  TempDir dir("config");
  writeText(dir / "a.yaml", "base: sub/b.yaml\n");
  writeText(dir / "sub" / "b.yaml", "base: ../a.yaml\n");
  const std::string a = (dir / "a.yaml").lexically_normal().string();
  const std::string b = (dir / "sub" / "b.yaml").lexically_normal().string();
  CHECK_THAT(errorOf([&] { load(dir / "a.yaml", {}); }),
             Catch::Contains("cycle in base: " + a + " -> " + b + " -> " + a));
  writeText(dir / "self.yaml", "base: self.yaml\n");
  CHECK_THAT(errorOf([&] { load(dir / "self.yaml", {}); }), Catch::Contains("cycle in base"));
}

TEST_CASE("config: the same base reached twice is not a cycle", "[config]") {
  TempDir dir("config");
  writeText(dir / "common.yaml", "seed: 9\n");
  writeText(dir / "a.yaml", "base: common.yaml\ntrain:\n  lr: 0.3\n");
  writeText(dir / "b.yaml", "base: common.yaml\ntrain:\n  iterations: 3\n");
  writeText(dir / "x.yaml", "base: [a.yaml, b.yaml]\n");
  const auto options = load(dir / "x.yaml", {});
  CHECK(options.seed == 9);
  CHECK(options.train.lr == 0.3);
  CHECK(options.train.iterations == 3);
}

TEST_CASE("config: a YAML syntax error names the file and line", "[config]") {
  TempDir dir("config");
  writeText(dir / "bad.yaml", "seed: 1\ndata:\n  root: [unclosed\ntrain: {}\n");
  const std::string message = errorOf([&] { load(dir / "bad.yaml", {}); });
  CHECK_THAT(message, Catch::Contains("YAML syntax error in " + (dir / "bad.yaml").string()));
  CHECK_THAT(message, Catch::Contains("line "));
  writeText(dir / "list.yaml", "- 1\n- 2\n");
  CHECK_THAT(errorOf([&] { load(dir / "list.yaml", {}); }),
             Catch::Contains("expected a map of options at the top level"));
}

TEST_CASE("config: a wrong choice lists the allowed names", "[config]") {
  TempDir dir("config");
  writeText(dir / "x.yaml", "device: gpu\n");
  CHECK_THAT(errorOf([&] { load(dir / "x.yaml", {}); }),
             Catch::Contains("device: expected one of auto, cpu, cuda, got 'gpu' (" +
                             (dir / "x.yaml").string() + ")"));
  // A later source may correct an earlier wrong name.
  CHECK(load(dir / "x.yaml", {"device=cpu"}).device == "cpu");
}

TEST_CASE("config: range, length and emptiness checks name key, value and source", "[config]") {
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"data.workers=-1"}); }),
             Catch::Contains("data.workers: must be >= 0, got -1 (command line override "
                             "data.workers=-1)"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"data.workers=65"}); }),
             Catch::Contains("data.workers: must be <= 64, got 65"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"data.crop_size=[1,2,3]"}); }),
             Catch::Contains("data.crop_size: must have 2 elements, got 3"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"data.crop_size=[8, 0]"}); }),
             Catch::Contains("data.crop_size: must be >= 1, got 0 at index 1"));
  CHECK_THAT(errorOf([] { wsss::readConfig<RootOptions>("", {"data.root="}); }),
             Catch::Contains("data.root: must not be empty"));
}

TEST_CASE("config: problems of every kind come together in one error", "[config]") {
  std::vector<std::string> problems;
  try {
    wsss::readConfig<RootOptions>("", {"train.lr=-1", "seed=x", "device=tpu", "nothing=1"});
  } catch (const wsss::ConfigError& error) {
    problems = error.problems();
    CHECK_THAT(std::string(error.what()), Catch::Contains("4 problems"));
  }
  CHECK(problems.size() == 4);
}

TEST_CASE("config: a rule sees the loaded values", "[config]") {
  struct Ranged {
    double low = 0;
    double high = 1;
    void describe(OptionTable& table) {
      table.field("low", low, "lower end");
      table.field("high", high, "upper end").rule([this] {
        return high > low ? std::string() : "must exceed low";
      });
    }
  };
  CHECK(wsss::readConfig<Ranged>("", {"low=2", "high=3"}).high == 3);
  CHECK_THAT(errorOf([] { wsss::readConfig<Ranged>("", {"low=2"}); }),
             Catch::Contains("high: must exceed low (default)"));
}

TEST_CASE("config: the dump loads back to identical values", "[config]") {
  RootOptions original;
  original.seed = -42;
  original.device = "cuda";
  original.data.root = "path with spaces/and: colon";
  original.data.trainSplit = "true";
  original.data.classes = {"a", "b,c", "", "null", "1.5", "quote\"d"};
  original.data.cropSize = {3, 9000000000};
  original.data.augment.scaleRange = {1e-4, 1.0 / 3.0};
  original.train.lr = 0.1;
  original.train.weightDecay = 1e-300;
  original.amp = true;
  const std::string dumped = wsss::configToYaml(original);
  CHECK_THAT(dumped, Catch::Contains("data:\n  root: "));
  CHECK_THAT(dumped, Catch::Contains("  augment:\n    scale_range: [0.0001, 0.3333333333333333]"));
  CHECK_THAT(dumped, Catch::Contains("lr: 0.1\n"));

  const auto loaded = wsss::readConfigText<RootOptions>(dumped, "dump");
  CHECK(loaded.seed == original.seed);
  CHECK(loaded.device == original.device);
  CHECK(loaded.data.root == original.data.root);
  CHECK(loaded.data.trainSplit == original.data.trainSplit);
  CHECK(loaded.data.classes == original.data.classes);
  CHECK(loaded.data.cropSize == original.data.cropSize);
  CHECK(loaded.data.augment.scaleRange == original.data.augment.scaleRange);
  CHECK(loaded.train.lr == original.train.lr);
  CHECK(loaded.train.weightDecay == original.train.weightDecay);
  CHECK(loaded.amp);
  CHECK(wsss::configToYaml(const_cast<RootOptions&>(loaded)) == dumped);
}

TEST_CASE("config: doubles and lists of any length round-trip through the dump", "[config]") {
  struct Numbers {
    std::vector<double> values;
    std::vector<std::string> names;
    double single = 0;
    void describe(OptionTable& table) {
      table.field("values", values, "any numbers");
      table.field("names", names, "any strings");
      table.field("single", single, "one number");
    }
  };
  Numbers original;
  original.values = {0.1,  1e-4,  1e-5,   1.0 / 3.0,   2.0,
                     -0.0, 1e300, 5e-324, -123456.789, std::numeric_limits<double>::infinity()};
  original.names = {};
  original.single = 0.30000000000000004;
  const std::string dumped = wsss::configToYaml(original);
  CHECK_THAT(dumped, Catch::Contains("values: [0.1, 0.0001, 1e-5, 0.3333333333333333, 2, -0, "
                                     "1e+300, 5e-324, -123456.789, .inf]"));
  CHECK_THAT(dumped, Catch::Contains("names: []"));
  const auto loaded = wsss::readConfigText<Numbers>(dumped, "dump");
  CHECK(loaded.values == original.values);
  CHECK(std::signbit(loaded.values[5]));
  CHECK(loaded.names.empty());
  CHECK(loaded.single == original.single);
}

TEST_CASE("config: the dump of a file's effective config is written in declaration order",
          "[config]") {
  RootOptions options;
  const std::string dumped = wsss::configToYaml(options);
  CHECK(dumped ==
        "seed: 0\n"
        "device: auto\n"
        "data:\n"
        "  root: datasets/toy\n"
        "  train_split: train\n"
        "  workers: 2\n"
        "  classes: [cat, dog]\n"
        "  crop_size: [64, 64]\n"
        "  augment:\n"
        "    scale_range: [0.5, 2]\n"
        "    flip: true\n"
        "train:\n"
        "  iterations: 1000\n"
        "  batch_size: 8\n"
        "  lr: 0.01\n"
        "  weight_decay: 0.0001\n"
        "amp: false\n");
}

enum class Shape { Disc, Square };
const wsss::ChoiceNames<Shape>& choiceNames(Shape) {
  static const wsss::ChoiceNames<Shape> names = {{Shape::Disc, "disc"}, {Shape::Square, "square"}};
  return names;
}

TEST_CASE("config: an enum choice parses, validates and dumps its words", "[config]") {
  struct Drawing {
    Shape shape = Shape::Disc;
    void describe(OptionTable& table) { table.choice("shape", shape, "what to draw"); }
  };
  TempDir dir("config");
  writeText(dir / "x.yaml", "shape: circle\n");
  CHECK_THAT(errorOf([&] { wsss::readConfig<Drawing>((dir / "x.yaml").string(), {}); }),
             Catch::Contains("shape: expected one of disc, square, got 'circle'"));
  // A later source may correct an earlier wrong word, as for string choices.
  const auto drawing = wsss::readConfig<Drawing>((dir / "x.yaml").string(), {"shape=square"});
  CHECK(drawing.shape == Shape::Square);
  Drawing copy = drawing;
  CHECK_THAT(wsss::configToYaml(copy), Catch::Contains("shape: square"));
  CHECK(wsss::choiceName(Shape::Disc) == "disc");
  CHECK(wsss::parseChoice<Shape>("square") == Shape::Square);
  CHECK_FALSE(wsss::parseChoice<Shape>("circle").has_value());
}

TEST_CASE("config: text loading names its origin in errors", "[config]") {
  CHECK_THAT(errorOf([] {
               wsss::readConfigText<RootOptions>("train:\n  lr: x\n", "checkpoint runs/x/last.pt");
             }),
             Catch::Contains("train.lr: expected a number, got 'x' (checkpoint runs/x/last.pt)"));
  const auto options =
      wsss::readConfigText<RootOptions>("seed: 3\n", "checkpoint", {"seed=4", "train.lr=0.2"});
  CHECK(options.seed == 4);
  CHECK(options.train.lr == 0.2);
}

TEST_CASE("config: a removed key is an error that says what took its place", "[config]") {
  struct CachedData {
    std::string root = "datasets/toy";
    void describe(OptionTable& table) {
      table.field("root", root, "dataset folder");
      table.removed("cache", "removed: images are no longer cached; delete the key");
    }
  };
  struct Renamed {
    CachedData data;
    void describe(OptionTable& table) { table.section("data", data, "dataset"); }
  };
  TempDir dir("config");
  writeText(dir / "old.yaml", "data:\n  root: /x\n  cache: true\n");
  const std::string file = (dir / "old.yaml").lexically_normal().string();
  CHECK_THAT(errorOf([&] { wsss::readConfig<Renamed>(file, {}); }),
             Catch::Contains("data.cache: removed: images are no longer cached; delete the key (" +
                             file + ")"));
  CHECK_THAT(errorOf([] { wsss::readConfig<Renamed>("", {"data.cache=false"}); }),
             Catch::Contains("data.cache: removed: images are no longer cached") &&
                 !Catch::Contains("unknown key"));
  // A checkpoint's saved config still holds it: passed over there, but not in an override.
  CHECK(
      wsss::readConfigText<Renamed>("data:\n  root: /y\n  cache: true\n", "checkpoint").data.root ==
      "/y");
  CHECK_THAT(errorOf([] { wsss::readConfigText<Renamed>("", "checkpoint", {"data.cache=1"}); }),
             Catch::Contains("data.cache: removed"));
  // Neither help nor the dump shows it, and it cannot come back as an option by mistake.
  CHECK_THAT(wsss::describeConfig<Renamed>(), !Catch::Contains("cache"));
  Renamed renamed;
  CHECK_THAT(wsss::configToYaml(renamed), !Catch::Contains("cache"));
  struct Both {
    bool cache = false;
    void describe(OptionTable& table) {
      table.removed("cache", "gone");
      table.field("cache", cache, "again");
    }
  };
  CHECK_THAT(errorOf([] { wsss::readConfig<Both>("", {}); }), Catch::Contains("declared twice"));
}

TEST_CASE("config: help lists every option with type, default and help", "[config]") {
  const std::string help = wsss::describeConfig<RootOptions>();
  CHECK_THAT(help, Catch::Contains("seed (int; default 0)"));
  CHECK_THAT(help, Catch::Contains("device (auto|cpu|cuda; default auto)"));
  CHECK_THAT(help, Catch::Contains("data: dataset and augmentation"));
  CHECK_THAT(help, Catch::Contains("data.workers (int, >= 0, <= 64; default 2)"));
  CHECK_THAT(help, Catch::Contains("loader threads"));
  CHECK_THAT(help, Catch::Contains(
                       "data.augment.scale_range (list of floats, each >= 0, length 2; default "
                       "[0.5, 2])"));
  CHECK_THAT(help, Catch::Contains("train.lr (float, >= 0; default 0.01)"));
}

TEST_CASE("config: mistakes in describe() are caught when the table is built", "[config]") {
  struct Twice {
    int64_t a = 0;
    void describe(OptionTable& table) {
      table.field("a", a, "first");
      table.field("a", a, "again");
    }
  };
  CHECK_THAT(errorOf([] { wsss::readConfig<Twice>("", {}); }), Catch::Contains("declared twice"));
  struct WrongCheck {
    std::string name;
    void describe(OptionTable& table) { table.field("name", name, "a name").atLeast(1); }
  };
  CHECK_THAT(errorOf([] { wsss::readConfig<WrongCheck>("", {}); }),
             Catch::Contains("atLeast() does not apply to string fields"));
}
