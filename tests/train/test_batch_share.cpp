// A rank's part of the work (train/distributed/batch_share.h): its rows of a global batch and
// its images of an evaluation split.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <algorithm>

#include "train/distributed/batch_share.h"

namespace {

// Ids only: what a subset passes through.
class NamedSource : public wsss::SampleSource {
 public:
  explicit NamedSource(size_t count) {
    for (size_t index = 0; index < count; ++index) ids_.push_back("id" + std::to_string(index));
  }
  size_t size() const override { return ids_.size(); }
  const std::string& id(size_t index) const override { return ids_.at(index); }
  int64_t numClasses() const override { return 2; }
  wsss::Sample load(size_t index) const override {
    wsss::Sample sample;
    sample.id = ids_.at(index);
    return sample;
  }

 private:
  std::vector<std::string> ids_;
};

wsss::Batch numberedBatch(int64_t size) {
  wsss::Batch batch;
  for (int64_t index = 0; index < size; ++index) batch.ids.push_back("image" + std::to_string(index));
  batch.image = torch::arange(size, torch::kFloat32).view({size, 1, 1, 1}).expand({size, 3, 4, 4});
  batch.labels = torch::arange(size, torch::kFloat32).view({size, 1}).expand({size, 2});
  batch.mask = torch::arange(size).view({size, 1, 1}).expand({size, 4, 4});
  batch.cropBox = torch::arange(size).view({size, 1}).expand({size, 4});
  // Clicks [image, y, x, class, rank]: two on image 0, one on image 3, one on image 5.
  batch.points = torch::tensor({{0.f, 1.f, 1.f, 1.f, 0.f},
                                {0.f, 2.f, 2.f, 2.f, 1.f},
                                {3.f, 0.f, 1.f, 1.f, 0.f},
                                {5.f, 3.f, 3.f, 2.f, 0.f}});
  return batch;
}

}  // namespace

TEST_CASE("a rank's share of a global batch: its rows, and the clicks of its images",
          "[train][distributed]") {
  const wsss::Batch global = numberedBatch(6);
  const wsss::Batch first = wsss::batchShare(global, 0, 2);
  const wsss::Batch second = wsss::batchShare(global, 1, 2);
  CHECK(first.ids == std::vector<std::string>{"image0", "image1", "image2"});
  CHECK(second.ids == std::vector<std::string>{"image3", "image4", "image5"});
  CHECK(torch::equal(second.image, global.image.narrow(0, 3, 3)));
  CHECK(torch::equal(second.labels, global.labels.narrow(0, 3, 3)));
  CHECK(torch::equal(second.mask, global.mask.narrow(0, 3, 3)));
  CHECK(torch::equal(second.cropBox, global.cropBox.narrow(0, 3, 3)));
  CHECK_FALSE(second.saliency.defined());
  // The clicks follow their images, numbered within the share.
  CHECK(torch::equal(first.points, global.points.narrow(0, 0, 2)));
  CHECK(torch::equal(second.points, torch::tensor({{0.f, 0.f, 1.f, 1.f, 0.f},
                                                   {2.f, 3.f, 3.f, 2.f, 0.f}})));
  CHECK(torch::equal(global.points.select(1, 0), torch::tensor({0.f, 0.f, 3.f, 5.f})));

  // One rank keeps the batch; a batch that does not split evenly is refused.
  CHECK(wsss::batchShare(global, 0, 1).ids == global.ids);
  CHECK_THROWS_WITH(wsss::batchShare(global, 0, 4),
                    Catch::Contains("6 images does not split over 4 ranks"));
}

TEST_CASE("the ranks' strided subsets of a split see every image once", "[train][distributed]") {
  const auto split = std::make_shared<NamedSource>(7);
  std::vector<std::string> seen;
  CHECK(wsss::StridedSubset(split, 0, 3).size() == 3);  // 0, 3, 6
  CHECK(wsss::StridedSubset(split, 2, 3).size() == 2);  // 2, 5
  CHECK(wsss::StridedSubset(std::make_shared<NamedSource>(1), 1, 2).size() == 0);
  for (int64_t rank = 0; rank < 3; ++rank) {
    const wsss::StridedSubset subset(split, rank, 3);
    for (size_t index = 0; index < subset.size(); ++index) seen.push_back(subset.id(index));
    if (subset.size() > 0) CHECK(subset.load(0).id == split->id(static_cast<size_t>(rank)));
  }
  std::vector<std::string> all;
  for (size_t index = 0; index < split->size(); ++index) all.push_back(split->id(index));
  std::sort(seen.begin(), seen.end());
  std::sort(all.begin(), all.end());
  CHECK(seen == all);
}
