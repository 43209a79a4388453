#include "losses/prototype_memory.h"

#include "core/error.h"

namespace wsss {

PrototypeMemoryImpl::PrototypeMemoryImpl(int64_t numRegions, int64_t capacity, int64_t dim)
    : capacity_(capacity) {
  WSSS_CHECK(numRegions >= 1 && capacity >= 1 && dim >= 1, "prototype memory of ", numRegions,
             " regions x ", capacity, " slots x ", dim, " dims: each must be >= 1");
  entries_ = register_buffer("entries", torch::zeros({numRegions, capacity, dim}));
  filled_ = register_buffer("filled", torch::zeros({numRegions}, torch::kLong));
  next_ = register_buffer("next", torch::zeros({numRegions}, torch::kLong));
}

torch::Tensor PrototypeMemoryImpl::sum() const { return entries_.sum(1); }

torch::Tensor PrototypeMemoryImpl::count() const { return filled_; }

void PrototypeMemoryImpl::push(const RegionPrototypes& batch) {
  torch::NoGradGuard noGrad;
  WSSS_CHECK(batch.vectors.dim() == 3 && batch.vectors.size(1) == entries_.size(0) &&
                 batch.vectors.size(2) == entries_.size(2),
             "prototype memory holds ", entries_.size(0), " regions x ", entries_.size(2),
             " dims, got prototypes ", batch.vectors.sizes());
  const torch::Tensor present = batch.present.to(torch::kLong);  // B x K
  const torch::Tensor added = present.sum(0);                    // K
  // The rank of each present prototype among its region's, oldest first.
  const torch::Tensor rank = present.cumsum(0) - 1;
  // Only the newest `capacity` of a region's prototypes survive this push.
  const torch::Tensor kept = batch.present & (rank >= (added - capacity_).unsqueeze(0));
  const torch::Tensor slot = (next_.unsqueeze(0) + rank).remainder(capacity_);
  const torch::Tensor where = kept.nonzero();  // M x 2: (image, region)
  const torch::Tensor image = where.select(1, 0);
  const torch::Tensor region = where.select(1, 1);
  entries_.index_put_({region, slot.index({image, region})},
                      batch.vectors.index({image, region}).to(entries_.dtype()));
  filled_.copy_((filled_ + added).clamp_max(capacity_));
  next_.copy_((next_ + added).remainder(capacity_));
}

}  // namespace wsss
