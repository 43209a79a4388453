// Means over the global batch when each rank holds a share (losses/batch_reduction.h).
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "losses/batch_reduction.h"
#include "losses/segmentation_loss.h"

TEST_CASE("shares of a batch averaged over the ranks give the global mean and its gradient",
          "[losses][distributed]") {
  torch::manual_seed(0);
  // A batch of 4 maps, split over 2 ranks: shares with very different pixel counts.
  const torch::Tensor logits = torch::randn({4, 3, 5, 5}, torch::requires_grad());
  torch::Tensor target = torch::randint(0, 3, {4, 5, 5});
  target.index_put_({torch::indexing::Slice(0, 2), torch::indexing::Slice(0, 4)}, 255);
  target.index_put_({2, torch::indexing::Slice(0, 2)}, 0);

  const torch::Tensor global = wsss::segmentationLoss(logits, target, true);
  const torch::Tensor globalGradient = torch::autograd::grad({global}, {logits})[0];

  // Each rank's counts in call order, then the sums the collective returns.
  std::vector<std::vector<torch::Tensor>> counts(2);
  for (int64_t rank = 0; rank < 2; ++rank) {
    wsss::BatchReduction recorder;
    recorder.ranks = 2;
    recorder.sumOverRanks = [&counts, rank](const torch::Tensor& count) {
      counts[static_cast<size_t>(rank)].push_back(count.clone());
      return count;
    };
    wsss::segmentationLoss(logits.narrow(0, 2 * rank, 2), target.narrow(0, 2 * rank, 2), true,
                           recorder);
  }
  REQUIRE(counts[0].size() == counts[1].size());
  double value = 0;
  torch::Tensor gradient = torch::zeros_like(logits);
  for (int64_t rank = 0; rank < 2; ++rank) {
    size_t call = 0;
    wsss::BatchReduction reduction;
    reduction.ranks = 2;
    reduction.sumOverRanks = [&counts, &call](const torch::Tensor&) {
      const torch::Tensor sum = counts[0][call] + counts[1][call];
      ++call;
      return sum;
    };
    const torch::Tensor local = wsss::segmentationLoss(
        logits.narrow(0, 2 * rank, 2), target.narrow(0, 2 * rank, 2), true, reduction);
    value += local.item<double>() / 2;
    gradient += torch::autograd::grad({local}, {logits})[0] / 2;
  }
  CHECK(value == Approx(global.item<double>()).epsilon(1e-6));
  CHECK(torch::allclose(gradient, globalGradient, 1e-5, 1e-7));
  // Without the global counts the shares' mean is another number.
  const double naive = (wsss::segmentationLoss(logits.narrow(0, 0, 2), target.narrow(0, 0, 2), true)
                            .item<double>() +
                        wsss::segmentationLoss(logits.narrow(0, 2, 2), target.narrow(0, 2, 2), true)
                            .item<double>()) /
                       2;
  CHECK(std::abs(naive - global.item<double>()) > 1e-3);
}
