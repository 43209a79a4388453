#include "models/sync_batch_norm.h"

#include "core/error.h"

namespace wsss {

torch::Tensor sumOverRanksWithGradient(const torch::Tensor& local, const RankSum& rankSum) {
  torch::Tensor total;
  {
    torch::NoGradGuard noGrad;
    total = rankSum(local.detach());
  }
  if (!local.requires_grad()) return total;
  // The value is the sum; the graph is the identity to `local`, whose gradient the hook sums.
  torch::Tensor joined = total + (local - local.detach());
  joined.register_hook([rankSum](const torch::Tensor& gradient) { return rankSum(gradient); });
  return joined;
}

torch::Tensor SyncBatchNorm2dImpl::forward(const torch::Tensor& input) {
  if (!rankSum_ || !is_training()) return torch::nn::BatchNorm2dImpl::forward(input);
  return globalBatchForward(input);
}

torch::Tensor SyncBatchNorm2dImpl::globalBatchForward(const torch::Tensor& input) {
  WSSS_CHECK(input.dim() == 4, "SyncBatchNorm2d expects N x C x H x W, got ", input.sizes());
  const int64_t channels = input.size(1);
  const double localCount = static_cast<double>(input.numel() / std::max<int64_t>(channels, 1));
  // Each rank's mean and squared deviations from it, then their sums in float64: the global
  // variance Σ(M2_r + n_r m_r²)/n − m² cancels only the spread between the ranks' means.
  const torch::Tensor values = input.to(torch::kFloat32);
  const std::vector<int64_t> reduced = {0, 2, 3};
  const torch::Tensor localMean = values.mean(reduced);
  const torch::Tensor localSquares =
      (values - localMean.view({1, channels, 1, 1})).square().sum(reduced);
  const torch::Tensor local = torch::cat(
      {(localMean * localCount).to(torch::kFloat64),
       (localSquares.to(torch::kFloat64) + localCount * localMean.to(torch::kFloat64).square()),
       torch::full({1}, localCount, localMean.options().dtype(torch::kFloat64))});
  const torch::Tensor global = sumOverRanksWithGradient(local, rankSum_);
  const double count = global[2 * channels].item<double>();
  WSSS_CHECK(count > 1, "SyncBatchNorm2d: ", count,
             " value per channel over all ranks; BatchNorm needs more than one (raise "
             "train.batch_size)");
  const torch::Tensor mean = global.narrow(0, 0, channels) / count;
  const torch::Tensor variance =
      (global.narrow(0, channels, channels) / count - mean.square()).clamp_min(0);
  {
    // The running statistics move as torch's do: the unbiased variance, the momentum (or the
    // cumulative mean when the momentum is unset).
    torch::NoGradGuard noGrad;
    num_batches_tracked.add_(1);
    const double momentum =
        options.momentum().has_value()
            ? *options.momentum()
            : 1.0 / static_cast<double>(num_batches_tracked.item<int64_t>());
    running_mean.mul_(1 - momentum).add_(mean.detach().to(running_mean.scalar_type()), momentum);
    running_var.mul_(1 - momentum)
        .add_((variance.detach() * (count / (count - 1))).to(running_var.scalar_type()), momentum);
  }
  const torch::Tensor scale =
      (weight * torch::rsqrt(variance + options.eps()).to(weight.scalar_type()));
  const torch::Tensor shift = bias - mean.to(weight.scalar_type()) * scale;
  return (input * scale.view({1, channels, 1, 1}).to(input.scalar_type()) +
          shift.view({1, channels, 1, 1}).to(input.scalar_type()));
}

int64_t synchroniseBatchNorm(torch::nn::Module& module, const RankSum& rankSum) {
  int64_t count = 0;
  for (auto& child : module.modules(/*include_self=*/true)) {
    if (auto* batchNorm = child->as<SyncBatchNorm2dImpl>()) {
      batchNorm->setRankSum(rankSum);
      ++count;
    }
  }
  return count;
}

}  // namespace wsss
