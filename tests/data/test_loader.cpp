#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "core/error.h"
#include "data/data_loader.h"
#include "data/sampler.h"
#include "test_helpers.h"

namespace {

using wsss::Batch;
using wsss::DataLoader;
using wsss::LoaderOptions;
using wsss::SamplerState;

std::string imageId(size_t index) {
  std::ostringstream id;
  id << "img_" << index;
  return id.str();
}

// In-memory samples of varied sizes: an object rectangle of class 1 + index % 3 in the mask,
// a click in its middle, saliency on it; ids in `failing` throw as a corrupt file would.
class FakeSource : public wsss::SampleSource {
 public:
  explicit FakeSource(size_t count, std::set<std::string> failing = {},
                      std::chrono::milliseconds delay = std::chrono::milliseconds(0))
      : failing_(std::move(failing)), delay_(delay) {
    for (size_t i = 0; i < count; ++i) ids_.push_back(imageId(i));
  }

  size_t size() const override { return ids_.size(); }
  const std::string& id(size_t index) const override { return ids_.at(index); }
  int64_t numClasses() const override { return 3; }
  bool readsPoints() const override { return true; }

  wsss::Sample load(size_t index) const override {
    loads_.fetch_add(1);
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    const std::string& name = ids_.at(index);
    if (failing_.count(name) > 0) {
      WSSS_FAIL("image ", name, ": cannot decode JPEGImages/", name, ".jpg (corrupt JPEG data)");
    }
    const int width = 30 + static_cast<int>(index * 7 % 20);
    const int height = 24 + static_cast<int>(index * 5 % 16);
    const int cls = 1 + static_cast<int>(index % 3);
    const cv::Rect object(6, 5, width - 12, height - 10);
    wsss::Sample sample;
    sample.id = name;
    sample.image = cv::Mat(height, width, CV_8UC3, cv::Scalar(index * 20 % 256, 40, 90));
    sample.image(object).setTo(cv::Scalar(250, 200, index * 13 % 256));
    sample.mask = cv::Mat(height, width, CV_8UC1, cv::Scalar(0));
    sample.mask(object).setTo(cv::Scalar(cls));
    sample.saliency = cv::Mat(height, width, CV_8UC1, cv::Scalar(0));
    sample.saliency(object).setTo(cv::Scalar(255));
    sample.points = {{static_cast<float>(object.x + object.width / 2),
                      static_cast<float>(object.y + object.height / 2), 1, cls}};
    sample.labels = {0, 0, 0};
    sample.labels[static_cast<size_t>(cls - 1)] = 1;
    return sample;
  }

  int loads() const { return loads_.load(); }

 private:
  std::vector<std::string> ids_;
  std::set<std::string> failing_;
  std::chrono::milliseconds delay_;
  mutable std::atomic<int> loads_{0};
};

LoaderOptions smallOptions() {
  LoaderOptions options;
  options.batchSize = 4;
  options.workers = 2;
  options.prefetch = 2;
  options.seed = 11;
  options.augment.cropSize = 24;
  return options;
}

std::vector<Batch> draw(DataLoader& loader, int count) {
  std::vector<Batch> batches;
  for (int i = 0; i < count; ++i) {
    std::optional<Batch> batch = loader.next();
    REQUIRE(batch.has_value());
    batches.push_back(std::move(*batch));
  }
  return batches;
}

bool sameBatch(const Batch& a, const Batch& b) {
  using wsss::test::sameTensor;
  return a.ids == b.ids && sameTensor(a.image, b.image) && sameTensor(a.labels, b.labels) &&
         sameTensor(a.mask, b.mask) && sameTensor(a.saliency, b.saliency) &&
         sameTensor(a.points, b.points) && sameTensor(a.cropBox, b.cropBox);
}

void requireSameBatches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("batch " << i);
    REQUIRE(sameBatch(a[i], b[i]));
  }
}

std::vector<std::string> idsOf(const std::vector<Batch>& batches) {
  std::vector<std::string> ids;
  for (const Batch& batch : batches) ids.insert(ids.end(), batch.ids.begin(), batch.ids.end());
  return ids;
}

std::vector<std::string> idRange(size_t first, size_t last) {
  std::vector<std::string> ids;
  for (size_t i = first; i < last; ++i) ids.push_back(imageId(i));
  return ids;
}

// Collects log lines written to std::cerr while alive.
class CaptureLog {
 public:
  CaptureLog() : previous_(std::cerr.rdbuf(buffer_.rdbuf())) {}
  ~CaptureLog() { std::cerr.rdbuf(previous_); }
  std::string text() const { return buffer_.str(); }

 private:
  std::ostringstream buffer_;
  std::streambuf* previous_;
};

size_t occurrences(const std::string& text, const std::string& word) {
  size_t count = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("the same seed gives identical batches whatever the number of workers", "[loader]") {
  auto source = std::make_shared<FakeSource>(10);
  std::vector<Batch> reference;
  for (int64_t workers : {0, 1, 3}) {
    LoaderOptions options = smallOptions();
    options.workers = workers;
    DataLoader loader(source, options);
    std::vector<Batch> batches = draw(loader, 7);  // three and a half epochs
    if (reference.empty()) {
      reference = std::move(batches);
    } else {
      INFO("workers " << workers);
      requireSameBatches(reference, batches);
    }
  }
  const Batch& first = reference.front();
  CHECK(first.image.sizes() == torch::IntArrayRef({4, 3, 24, 24}));
  CHECK(first.mask.sizes() == torch::IntArrayRef({4, 24, 24}));
  CHECK(first.saliency.sizes() == torch::IntArrayRef({4, 1, 24, 24}));
  CHECK(first.cropBox.sizes() == torch::IntArrayRef({4, 4}));
  CHECK(first.labels.sizes() == torch::IntArrayRef({4, 3}));

  // Every click that survived lies on its object in the collated mask.
  for (const Batch& batch : reference) {
    const auto points = batch.points.accessor<float, 2>();
    for (int64_t row = 0; row < batch.points.size(0); ++row) {
      const int64_t b = static_cast<int64_t>(points[row][0]);
      const int64_t y = static_cast<int64_t>(std::floor(points[row][1] + 0.5f));
      const int64_t x = static_cast<int64_t>(std::floor(points[row][2] + 0.5f));
      REQUIRE(batch.mask[b][y][x].item<int64_t>() == static_cast<int64_t>(points[row][3]));
    }
  }
}

// The same samples from a source that does not read clicks (as the VOC reader when no method
// of the run reads them): any clicks a sample carried are not collated.
class SourceWithoutClicks : public FakeSource {
 public:
  using FakeSource::FakeSource;
  bool readsPoints() const override { return false; }
};

TEST_CASE("batches hold clicks exactly when the source reads them", "[loader]") {
  DataLoader withClicks(std::make_shared<FakeSource>(10), smallOptions());
  const std::vector<Batch> read = draw(withClicks, 3);
  DataLoader withoutClicks(std::make_shared<SourceWithoutClicks>(10), smallOptions());
  const std::vector<Batch> unread = draw(withoutClicks, 3);
  for (size_t index = 0; index < read.size(); ++index) {
    REQUIRE(read[index].points.defined());
    CHECK(read[index].points.size(1) == 5);
    CHECK_FALSE(unread[index].points.defined());
    CHECK(wsss::test::sameTensor(read[index].image, unread[index].image));
  }
}

TEST_CASE("different seeds give different batches", "[loader]") {
  auto source = std::make_shared<FakeSource>(10);
  LoaderOptions options = smallOptions();
  DataLoader first(source, options);
  options.seed = 12;
  DataLoader second(source, options);
  const std::vector<Batch> a = draw(first, 2);
  const std::vector<Batch> b = draw(second, 2);
  CHECK_FALSE(sameBatch(a[0], b[0]));
  CHECK(idsOf(a) != idsOf(b));
}

TEST_CASE("restoring a saved state continues with bitwise the same batches", "[loader]") {
  auto source = std::make_shared<FakeSource>(10);
  const LoaderOptions options = smallOptions();
  DataLoader reference(source, options);
  std::vector<SamplerState> states = {reference.state()};
  std::vector<Batch> batches;
  for (int i = 0; i < 9; ++i) {
    batches.push_back(*reference.next());
    states.push_back(reference.state());
  }
  // 10 samples in batches of 4 with drop-last: two batches an epoch, so this crosses four
  // epoch boundaries, and the state after every second batch sits at an epoch's end.
  CHECK(states[2] == SamplerState{11, 0, 8});
  CHECK(states[3] == SamplerState{11, 1, 4});

  for (size_t k = 0; k < 7; ++k) {
    INFO("restored after " << k << " batches");
    LoaderOptions other = options;
    other.seed = 999;  // the state's seed wins
    other.workers = static_cast<int64_t>(k % 3);
    DataLoader restored(source, other);
    restored.restore(wsss::samplerStateFromTensor(wsss::samplerStateToTensor(states[k])));
    const std::vector<Batch> continued = draw(restored, 3);
    requireSameBatches(continued,
                       std::vector<Batch>(batches.begin() + static_cast<int64_t>(k),
                                          batches.begin() + static_cast<int64_t>(k) + 3));
    CHECK(restored.state() == states[k + 3]);
  }

  SECTION("restore on a loader that has prefetched further") {
    DataLoader loader(source, options);
    draw(loader, 5);
    loader.restore(states[1]);
    CHECK(loader.state() == states[1]);
    requireSameBatches(draw(loader, 4),
                       std::vector<Batch>(batches.begin() + 1, batches.begin() + 5));
  }
}

TEST_CASE("restore reproduces skipping and short last batches", "[loader]") {
  auto source = std::make_shared<FakeSource>(11, std::set<std::string>{"img_3", "img_8"});
  LoaderOptions options = smallOptions();
  options.onErrorSkip = true;
  options.dropLast = false;
  CaptureLog log;
  DataLoader reference(source, options);
  std::vector<SamplerState> states = {reference.state()};
  std::vector<Batch> batches;
  for (int i = 0; i < 8; ++i) {
    batches.push_back(*reference.next());
    states.push_back(reference.state());
  }
  for (size_t k = 0; k < 5; ++k) {
    INFO("restored after " << k << " batches");
    DataLoader restored(source, options);
    restored.restore(states[k]);
    requireSameBatches(draw(restored, 3),
                       std::vector<Batch>(batches.begin() + static_cast<int64_t>(k),
                                          batches.begin() + static_cast<int64_t>(k) + 3));
  }
}

TEST_CASE("drop-last, one pass and epoch boundaries", "[loader]") {
  auto source = std::make_shared<FakeSource>(10);
  LoaderOptions options = smallOptions();
  options.shuffle = false;

  SECTION("one pass with drop-last gives the whole batches, then nothing") {
    options.infinite = false;
    DataLoader loader(source, options);
    CHECK(loader.batchesPerEpoch() == 2);
    const std::vector<Batch> batches = draw(loader, 2);
    CHECK(idsOf(batches) == idRange(0, 8));
    CHECK_FALSE(loader.next().has_value());
    CHECK_FALSE(loader.next().has_value());
    CHECK(loader.epoch() == 0);
  }
  SECTION("one pass without drop-last ends with the short batch") {
    options.infinite = false;
    options.dropLast = false;
    options.workers = 3;
    DataLoader loader(source, options);
    CHECK(loader.batchesPerEpoch() == 3);
    const std::vector<Batch> batches = draw(loader, 3);
    CHECK(batches[2].size() == 2);
    CHECK(batches[2].image.size(0) == 2);
    CHECK(idsOf(batches) == idRange(0, 10));
    CHECK_FALSE(loader.next().has_value());
  }
  SECTION("endless with drop-last never lets a batch span two epochs") {
    DataLoader loader(source, options);
    const std::vector<Batch> batches = draw(loader, 4);
    CHECK(batches[2].ids == idRange(0, 4));
    CHECK(batches[3].ids == idRange(4, 8));
    CHECK(loader.epoch() == 1);
    CHECK(loader.state() == SamplerState{11, 1, 8});
    draw(loader, 1);
    CHECK(loader.epoch() == 2);
  }
  SECTION("shuffled epochs follow their own permutations") {
    options.shuffle = true;
    DataLoader loader(source, options);
    const std::vector<Batch> batches = draw(loader, 6);
    for (int64_t epoch = 0; epoch < 3; ++epoch) {
      const std::vector<int64_t> order = wsss::epochPermutation(10, options.seed, epoch);
      std::vector<std::string> expected;
      for (size_t i = 0; i < 8; ++i) expected.push_back(imageId(static_cast<size_t>(order[i])));
      const std::vector<Batch> epochBatches(batches.begin() + 2 * epoch,
                                            batches.begin() + 2 * epoch + 2);
      CHECK(idsOf(epochBatches) == expected);
    }
  }
  SECTION("a dataset smaller than one batch is refused with drop-last") {
    options.batchSize = 11;
    CHECK_THROWS_WITH(DataLoader(source, options), Catch::Contains("11"));
  }
}

TEST_CASE("a failing sample is rethrown with its message when not skipping", "[loader]") {
  auto source = std::make_shared<FakeSource>(10, std::set<std::string>{"img_5"});
  for (int64_t workers : {0, 2}) {
    LoaderOptions options = smallOptions();
    options.shuffle = false;
    options.workers = workers;
    DataLoader loader(source, options);
    CHECK(loader.next()->ids == idRange(0, 4));
    const std::string expected =
        "image img_5: cannot decode JPEGImages/img_5.jpg (corrupt JPEG data)";
    CHECK_THROWS_MATCHES(loader.next(), wsss::Error, Catch::Message(expected));
    CHECK_THROWS_MATCHES(loader.next(), wsss::Error, Catch::Message(expected));
    CHECK(loader.state() == SamplerState{11, 0, 4});
  }
}

TEST_CASE("failing samples are skipped, reported once, and batches stay full", "[loader]") {
  auto source = std::make_shared<FakeSource>(10, std::set<std::string>{"img_2", "img_5"});
  for (int64_t workers : {0, 2}) {
    LoaderOptions options = smallOptions();
    options.shuffle = false;
    options.onErrorSkip = true;
    options.workers = workers;
    CaptureLog log;
    {
      DataLoader loader(source, options);
      const std::vector<Batch> batches = draw(loader, 6);  // three epochs
      for (int epoch = 0; epoch < 3; ++epoch) {
        CHECK(batches[2 * epoch].ids ==
              std::vector<std::string>{"img_0", "img_1", "img_3", "img_4"});
        CHECK(batches[2 * epoch + 1].ids ==
              std::vector<std::string>{"img_6", "img_7", "img_8", "img_9"});
      }
      for (const Batch& batch : batches) CHECK(batch.image.size(0) == 4);
    }
    const std::string text = log.text();
    CHECK(occurrences(text, "skipping image img_2") == 1);
    CHECK(occurrences(text, "skipping image img_5") == 1);
    CHECK(occurrences(text, "corrupt JPEG data") == 2);
  }
}

TEST_CASE("a dataset where every sample fails is an error, not an endless loop", "[loader]") {
  std::set<std::string> all;
  for (size_t i = 0; i < 10; ++i) all.insert(imageId(i));
  auto source = std::make_shared<FakeSource>(10, all);
  for (int64_t workers : {0, 2}) {
    for (bool infinite : {true, false}) {
      LoaderOptions options = smallOptions();
      options.onErrorSkip = true;
      options.workers = workers;
      options.infinite = infinite;
      CaptureLog log;
      DataLoader loader(source, options);
      CHECK_THROWS_WITH(loader.next(), Catch::Contains("no batch of 4") &&
                                           Catch::Contains("10 of 10 samples failed"));
    }
  }
  SECTION("too few good samples for one batch is the same error") {
    all.erase("img_4");
    all.erase("img_7");
    LoaderOptions options = smallOptions();
    options.onErrorSkip = true;
    CaptureLog log;
    DataLoader loader(std::make_shared<FakeSource>(10, all), options);
    CHECK_THROWS_WITH(loader.next(), Catch::Contains("8 of 10 samples failed"));
  }
}

TEST_CASE("the destructor returns promptly with work pending", "[loader]") {
  using Clock = std::chrono::steady_clock;
  const auto slow = std::chrono::milliseconds(30);
  LoaderOptions options = smallOptions();
  options.prefetch = 4;
  options.workers = 3;

  SECTION("workers busy loading") {
    auto source = std::make_shared<FakeSource>(40, std::set<std::string>{}, slow);
    const auto start = Clock::now();
    {
      DataLoader loader(source, options);
      draw(loader, 1);
    }
    CHECK(Clock::now() - start < std::chrono::seconds(3));
  }
  SECTION("workers waiting on a full queue") {
    auto source = std::make_shared<FakeSource>(40);
    DataLoader loader(source, options);
    draw(loader, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    const int loaded = source->loads();
    // Bounded by the delivered batch, the queued batches and the in-flight window.
    CHECK(loaded <= 4 + 2 * 4 * 4);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(source->loads() == loaded);
  }
  SECTION("an error pending") {
    auto source = std::make_shared<FakeSource>(40, std::set<std::string>{"img_1"});
    options.shuffle = false;
    DataLoader loader(source, options);
    CHECK_THROWS_AS(loader.next(), wsss::Error);
  }
  SECTION("never started") {
    auto source = std::make_shared<FakeSource>(40);
    DataLoader loader(source, options);
    CHECK(loader.state() == SamplerState{11, 0, 0});
  }
}

TEST_CASE("sampler permutations and state", "[loader][sampler]") {
  const std::vector<int64_t> order = wsss::epochPermutation(50, 3, 0);
  std::vector<int64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 50; ++i) REQUIRE(sorted[static_cast<size_t>(i)] == i);
  CHECK(order == wsss::epochPermutation(50, 3, 0));
  CHECK(order != wsss::epochPermutation(50, 3, 1));
  CHECK(order != wsss::epochPermutation(50, 4, 0));

  wsss::Sampler sampler(5, true, 3);
  std::vector<int64_t> walked;
  for (int i = 0; i < 3; ++i) walked.push_back(*sampler.next());
  const SamplerState saved = sampler.state();
  CHECK(saved == SamplerState{3, 0, 3});
  CHECK(wsss::samplerStateFromVector(wsss::samplerStateToVector(saved)) == saved);
  const SamplerState large{0xfedcba9876543210ULL, 7, 2};
  CHECK(wsss::samplerStateFromTensor(wsss::samplerStateToTensor(large)) == large);

  std::vector<int64_t> rest;
  while (auto index = sampler.next()) rest.push_back(*index);
  CHECK(rest.size() == 2);
  CHECK(sampler.epochFinished());
  sampler.startNextEpoch();
  CHECK(sampler.state() == SamplerState{3, 1, 0});

  wsss::Sampler resumed(5, true, 0);
  resumed.restore(saved);
  std::vector<int64_t> again;
  while (auto index = resumed.next()) again.push_back(*index);
  CHECK(again == rest);

  wsss::Sampler sequential(4, false, 3);
  CHECK(sequential.order(5) == std::vector<int64_t>{0, 1, 2, 3});
  CHECK_THROWS_AS(sequential.restore({3, 0, 5}), wsss::Error);
  CHECK_THROWS_AS(wsss::samplerStateFromVector({1, 2}), wsss::Error);
}
