#include "train/distributed/batch_share.h"

#include <torch/torch.h>

#include "core/error.h"

namespace wsss {

namespace {

torch::Tensor rowsOf(const torch::Tensor& tensor, int64_t begin, int64_t count) {
  return tensor.defined() ? tensor.narrow(0, begin, count) : tensor;
}

}  // namespace

Batch batchShare(const Batch& global, int64_t rank, int64_t worldSize) {
  WSSS_CHECK(worldSize >= 1 && rank >= 0 && rank < worldSize, "rank ", rank,
             " is outside a world of ", worldSize);
  if (worldSize == 1) return global;
  WSSS_CHECK(global.size() % worldSize == 0, "a batch of ", global.size(),
             " images does not split over ", worldSize,
             " ranks: make train.batch_size a multiple of the number of ranks");
  const int64_t count = global.size() / worldSize;
  const int64_t begin = rank * count;
  Batch share;
  share.ids.assign(global.ids.begin() + begin, global.ids.begin() + begin + count);
  share.image = rowsOf(global.image, begin, count);
  share.labels = rowsOf(global.labels, begin, count);
  share.mask = rowsOf(global.mask, begin, count);
  share.saliency = rowsOf(global.saliency, begin, count);
  share.cropBox = rowsOf(global.cropBox, begin, count);
  if (global.points.defined()) {
    const torch::Tensor image = global.points.select(1, 0);
    const torch::Tensor mine = (image >= begin) & (image < begin + count);
    share.points = global.points.index({mine}).clone();
    share.points.select(1, 0).sub_(static_cast<double>(begin));
  }
  return share;
}

StridedSubset::StridedSubset(std::shared_ptr<const SampleSource> source, int64_t rank,
                             int64_t worldSize)
    : source_(std::move(source)) {
  WSSS_CHECK(worldSize >= 1 && rank >= 0 && rank < worldSize, "rank ", rank,
             " is outside a world of ", worldSize);
  for (size_t index = static_cast<size_t>(rank); index < source_->size();
       index += static_cast<size_t>(worldSize)) {
    indices_.push_back(index);
  }
}

const std::string& StridedSubset::id(size_t index) const {
  return source_->id(indices_.at(index));
}

Sample StridedSubset::load(size_t index) const { return source_->load(indices_.at(index)); }

}  // namespace wsss
