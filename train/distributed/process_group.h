#pragma once
// The ranks of one job as a c10d process group (PyTorch's own distributed engine, linked with
// LibTorch): Gloo on the CPU, NCCL on CUDA. Collectives are blocking and fail after
// `train.distributed.timeout` with an error that names the ranks this one waited for, read
// from the progress every rank leaves in the rendezvous store.
#include <torch/types.h>

#include <c10/util/intrusive_ptr.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "train/distributed/distributed_options.h"
#include "train/distributed/launch_environment.h"

namespace c10d {
class Backend;
class Store;
class Work;
}  // namespace c10d

namespace wsss {

class DistributedGroup;

// A collective started and not yet finished: the caller goes on (the backward pass, say) and
// waits when it needs the result.
class PendingCollective {
 public:
  PendingCollective(DistributedGroup* group, c10::intrusive_ptr<c10d::Work> work,
                    std::string what);
  PendingCollective(PendingCollective&&) noexcept;
  PendingCollective& operator=(PendingCollective&&) noexcept;
  ~PendingCollective();
  // Blocks until done; a failure becomes a wsss::Error naming the ranks that do not answer.
  void wait();

 private:
  DistributedGroup* group_;
  c10::intrusive_ptr<c10d::Work> work_;
  std::string what_;
};

// The backend `requested` means on `device`: auto is NCCL on CUDA and Gloo on the CPU. Throws
// wsss::Error for NCCL on the CPU, or NCCL in a build without it.
DistributedBackend resolveBackend(DistributedBackend requested, const torch::Device& device);

class DistributedGroup {
 public:
  // Joins the job `launch` describes: its TCPStore at MASTER_ADDR:MASTER_PORT (hosted by rank
  // 0, or by torchrun's agent when it says so), under a prefix of this restart, and the
  // backend for `device` (NCCL: the device of LOCAL_RANK). Waits up to options.timeout for
  // every rank.
  static std::shared_ptr<DistributedGroup> join(const LaunchEnvironment& launch,
                                                const DistributedOptions& options,
                                                const torch::Device& device);

  // The ranks that share `store` (the tests: threads sharing one in-memory store).
  // `channel` names the engine's keys in the store: groups over one store with different
  // channels are independent streams of collectives between the same ranks.
  DistributedGroup(c10::intrusive_ptr<c10d::Store> store, int64_t rank, int64_t worldSize,
                   DistributedBackend backend, double timeoutSeconds, torch::Device device,
                   const std::string& channel = "engine");
  ~DistributedGroup();
  DistributedGroup(const DistributedGroup&) = delete;
  DistributedGroup& operator=(const DistributedGroup&) = delete;

  int64_t rank() const { return rank_; }
  int64_t worldSize() const { return worldSize_; }
  // Rank 0 alone writes the run's files.
  bool leads() const { return rank_ == 0; }
  const torch::Device& device() const { return device_; }
  DistributedBackend backend() const { return backend_; }

  // In place, every tensor becomes its sum over the ranks. The tensors travel in buckets of
  // at most `bucketBytes` of one dtype, flattened into one buffer each on the group's device,
  // so a call costs one collective per bucket whatever the number of tensors; tensors on
  // another device (CPU counts under NCCL) are copied there and back.
  void allReduceSum(const std::vector<torch::Tensor>& tensors,
                    int64_t bucketBytes = 25 << 20);
  // Starts the sum over the ranks of `buffer` (contiguous, on the group's device) in place and
  // returns at once. Every rank must start the same collectives in the same order.
  PendingCollective startAllReduceSum(const torch::Tensor& buffer, const std::string& what);
  // The same ranks over a second engine of their own, so its collectives never interleave
  // with this group's (SyncBatchNorm's statistics inside the backward pass, while the
  // gradient buckets are in flight here).
  std::shared_ptr<DistributedGroup> channel(const std::string& name) const;
  // The largest of every rank's `value` (e.g. a stop signal one rank caught).
  int64_t maxOver(int64_t value);
  // In place, every tensor becomes `root`'s; in buckets, as allReduceSum.
  void broadcast(const std::vector<torch::Tensor>& tensors, int64_t root = 0);
  // Returns once every rank called it.
  void barrier();

  // Leaves `step` in the store as this rank's progress, named when a failed collective
  // describes a rank.
  void markProgress(int64_t step);
  // The error a failed collective raises: `what`, the cause, and the ranks that do not answer.
  Error collectiveError(const std::string& what, const std::exception& cause);
  // After a failed collective: which ranks do not answer through the store (dead or stalled),
  // with their last progress; one sentence for an error message. Waits up to 3 s.
  std::string describeStragglers();

 private:
  // Runs one collective; a failure becomes a wsss::Error naming `what` and the stragglers.
  template <class Launch>
  void collective(const std::string& what, Launch launch);
  // The step `rank` last recorded, or -1.
  int64_t recordedProgress(int64_t rank);

  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::Backend> engine_;
  int64_t rank_;
  int64_t worldSize_;
  DistributedBackend backend_;
  double timeoutSeconds_;
  torch::Device device_;
};

}  // namespace wsss
