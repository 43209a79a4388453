#pragma once
// BatchNorm over the global batch of a torchrun job (`model.sync_batch_norm`): in training, each
// rank's layer normalises with the mean and variance of every rank's images together, so B
// images split over N ranks train as B images in one process would. Without a sum over ranks it
// is exactly torch's BatchNorm2d (same parameters, buffers and state_dict names).
#include <torch/torch.h>

#include <cstdint>
#include <functional>

namespace wsss {

// The sum over the ranks of a tensor, in place of a tensor of the same shape. Every rank calls
// it at the same points in the same order.
using RankSum = std::function<torch::Tensor(const torch::Tensor&)>;

// The sum over ranks of `local`, differentiable: the gradient reaching `local` is the sum of
// every rank's gradient of the result (each rank's loss depends on every rank's contribution).
torch::Tensor sumOverRanksWithGradient(const torch::Tensor& local, const RankSum& rankSum);

class SyncBatchNorm2dImpl : public torch::nn::BatchNorm2dImpl {
 public:
  explicit SyncBatchNorm2dImpl(int64_t channels) : torch::nn::BatchNorm2dImpl(channels) {}
  torch::Tensor forward(const torch::Tensor& input);
  // With a sum over ranks, training batches are normalised over the global batch.
  void setRankSum(RankSum rankSum) { rankSum_ = std::move(rankSum); }

 private:
  torch::Tensor globalBatchForward(const torch::Tensor& input);

  RankSum rankSum_;
};
TORCH_MODULE(SyncBatchNorm2d);

// Gives every SyncBatchNorm2d under `module` the sum over ranks; returns how many there are.
int64_t synchroniseBatchNorm(torch::nn::Module& module, const RankSum& rankSum);

}  // namespace wsss
