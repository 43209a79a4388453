#include "train/distributed/gradient_reducer.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace wsss {

GradientReducer::GradientReducer(std::shared_ptr<DistributedGroup> group,
                                 std::vector<torch::Tensor> parameters, int64_t bucketBytes)
    : group_(std::move(group)) {
  for (const torch::Tensor& parameter : parameters) {
    if (parameter.requires_grad()) parameters_.push_back(parameter);
  }
  std::reverse(parameters_.begin(), parameters_.end());
  slots_.resize(parameters_.size());
  std::vector<int64_t> sizes;  // elements of each bucket's gradients
  for (size_t index = 0; index < parameters_.size(); ++index) {
    const torch::Tensor& parameter = parameters_[index];
    const bool fits =
        !buckets_.empty() &&
        parameters_[static_cast<size_t>(buckets_.back().parameters.front())].scalar_type() ==
            parameter.scalar_type() &&
        (sizes.back() + parameter.numel()) * parameter.element_size() <= bucketBytes;
    if (!fits) {
      buckets_.emplace_back();
      sizes.push_back(0);
    }
    slots_[index] = {static_cast<int64_t>(buckets_.size()) - 1, sizes.back(), false};
    buckets_.back().parameters.push_back(static_cast<int64_t>(index));
    sizes.back() += parameter.numel();
  }
  // Each bucket ends with one flag per parameter, 1 where this rank reached it: summed with
  // the gradients, it says which parameters any rank reached, at no extra collective.
  for (size_t bucket = 0; bucket < buckets_.size(); ++bucket) {
    const torch::Tensor& first =
        parameters_[static_cast<size_t>(buckets_[bucket].parameters.front())];
    buckets_[bucket].buffer = torch::zeros(
        {sizes[bucket] + static_cast<int64_t>(buckets_[bucket].parameters.size())},
        torch::TensorOptions(first.scalar_type()).device(group_->device()));
  }
  for (size_t index = 0; index < parameters_.size(); ++index) {
    const auto slot = static_cast<int64_t>(index);
    hookHandles_.push_back(parameters_[index].register_hook(
        [this, slot](const torch::Tensor& gradient) { onGradient(slot, gradient); }));
  }
}

GradientReducer::~GradientReducer() {
  for (size_t index = 0; index < parameters_.size(); ++index) {
    parameters_[index].remove_hook(hookHandles_[index]);
  }
}

void GradientReducer::prepare() {
  for (Slot& slot : slots_) slot.reached = false;
  for (Bucket& bucket : buckets_) {
    bucket.waiting = static_cast<int64_t>(bucket.parameters.size());
    bucket.pending.reset();
  }
  nextBucket_ = 0;
  startedEarly_ = 0;
  listening_ = true;
}

void GradientReducer::onGradient(int64_t index, const torch::Tensor& gradient) {
  // Only the training step's own backward pass is summed over the ranks.
  if (!listening_) return;
  Slot& slot = slots_[static_cast<size_t>(index)];
  // The engine sums every path into a leaf before its hook runs, so a second call means a
  // second backward pass inside one step, which the ranks cannot agree on.
  WSSS_CHECK(!slot.reached, "a parameter's gradient arrived twice in one training step; a "
             "step under torchrun runs one backward pass");
  slot.reached = true;
  Bucket& bucket = buckets_[static_cast<size_t>(slot.bucket)];
  {
    torch::NoGradGuard noGrad;
    bucket.buffer.narrow(0, slot.offset, gradient.numel()).copy_(gradient.reshape({-1}));
  }
  --bucket.waiting;
  startReadyBuckets(false);
}

void GradientReducer::startReadyBuckets(bool all) {
  torch::NoGradGuard noGrad;
  while (nextBucket_ < buckets_.size() && (all || buckets_[nextBucket_].waiting == 0)) {
    Bucket& bucket = buckets_[nextBucket_];
    const int64_t flags = bucket.buffer.numel() - static_cast<int64_t>(bucket.parameters.size());
    for (size_t position = 0; position < bucket.parameters.size(); ++position) {
      const size_t index = static_cast<size_t>(bucket.parameters[position]);
      const bool reached = slots_[index].reached;
      // Another rank may have reached it: this rank adds zero.
      if (!reached) {
        bucket.buffer.narrow(0, slots_[index].offset, parameters_[index].numel()).zero_();
      }
      bucket.buffer[flags + static_cast<int64_t>(position)].fill_(reached ? 1 : 0);
    }
    bucket.pending = group_->startAllReduceSum(
        bucket.buffer, "the all-reduce of gradient bucket " + std::to_string(nextBucket_ + 1) +
                           " of " + std::to_string(buckets_.size()));
    if (!all) ++startedEarly_;
    ++nextBucket_;
  }
}

void GradientReducer::finish() {
  listening_ = false;
  startReadyBuckets(true);
  const double ranks = static_cast<double>(group_->worldSize());
  torch::NoGradGuard noGrad;
  for (Bucket& bucket : buckets_) {
    bucket.pending->wait();
    bucket.pending.reset();
    const int64_t flags = bucket.buffer.numel() - static_cast<int64_t>(bucket.parameters.size());
    const torch::Tensor reachedBy = bucket.buffer.narrow(0, flags, bucket.buffer.numel() - flags)
                                        .to(torch::kCPU);
    for (size_t position = 0; position < bucket.parameters.size(); ++position) {
      if (reachedBy[static_cast<int64_t>(position)].item<double>() == 0) continue;
      const size_t index = static_cast<size_t>(bucket.parameters[position]);
      torch::Tensor& parameter = parameters_[index];
      if (!parameter.grad().defined()) parameter.mutable_grad() = torch::zeros_like(parameter);
      parameter.mutable_grad().copy_(
          bucket.buffer.narrow(0, slots_[index].offset, parameter.numel()).view(parameter.sizes()));
      parameter.mutable_grad().div_(ranks);
    }
  }
}

}  // namespace wsss
