#pragma once
// Data-parallel gradients under torchrun: each parameter's gradient is copied into a bucket the
// moment the backward pass produces it, and a full bucket's sum over the ranks starts at once,
// so the communication overlaps the rest of the backward pass (what c10d's reducer does for
// PyTorch's DistributedDataParallel). Buckets start in one fixed order on every rank, whatever
// the order gradients arrive in.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "train/distributed/process_group.h"

namespace wsss {

class GradientReducer {
 public:
  // Buckets of at most `bucketBytes` of one dtype over the trainable `parameters`, taken in
  // reverse (the backward pass reaches the last layers first).
  GradientReducer(std::shared_ptr<DistributedGroup> group, std::vector<torch::Tensor> parameters,
                  int64_t bucketBytes = 25 << 20);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Before backward(): the hooks start listening for this step's gradients.
  void prepare();
  // After backward(): starts the buckets still waiting (those with a parameter the step did
  // not reach), waits for all, and leaves every parameter's gradient as its mean over the
  // ranks. A parameter no rank reached keeps no gradient, as in one process (AdamW must not
  // count a step for it); one reached on some ranks only gets zero from the others.
  void finish();

  int64_t bucketCount() const { return static_cast<int64_t>(buckets_.size()); }
  // Buckets whose sum started while the backward pass was still running, at the last finish().
  int64_t bucketsStartedEarly() const { return startedEarly_; }

 private:
  struct Slot {
    int64_t bucket = 0;
    int64_t offset = 0;  // in the bucket's flat buffer
    bool reached = false;
  };
  struct Bucket {
    std::vector<int64_t> parameters;  // indices into parameters_
    torch::Tensor buffer;             // flat, on the group's device
    int64_t waiting = 0;              // parameters not yet reached this step
    std::optional<PendingCollective> pending;
  };

  void onGradient(int64_t index, const torch::Tensor& gradient);
  // Starts buckets in order while the next one is complete (or all of them, `all`).
  void startReadyBuckets(bool all);

  std::shared_ptr<DistributedGroup> group_;
  std::vector<torch::Tensor> parameters_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  std::vector<unsigned> hookHandles_;
  size_t nextBucket_ = 0;
  bool listening_ = false;
  int64_t startedEarly_ = 0;
};

}  // namespace wsss
