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

TEST_CASE("the global batch's rows and mean from the ranks' shares", "[losses][distributed]") {
  // Two ranks' shares of a batch of 4, as the collective would sum them: each rank's call
  // is recorded, then every rank gets the sum of the two.
  const torch::Tensor batch = torch::arange(24, torch::kFloat32).view({4, 2, 3});
  const auto twoRanks = [](const std::function<torch::Tensor(const wsss::BatchReduction&)>& call) {
    std::vector<torch::Tensor> sent;
    for (int64_t rank = 0; rank < 2; ++rank) {
      wsss::BatchReduction recorder;
      recorder.ranks = 2;
      recorder.rank = rank;
      recorder.sumOverRanks = [&sent](const torch::Tensor& tensor) {
        sent.push_back(tensor.clone());
        return tensor;
      };
      call(recorder);
    }
    std::vector<torch::Tensor> results;
    for (int64_t rank = 0; rank < 2; ++rank) {
      wsss::BatchReduction reduction;
      reduction.ranks = 2;
      reduction.rank = rank;
      size_t index = 0;
      reduction.sumOverRanks = [&sent, &index](const torch::Tensor&) {
        const size_t calls = sent.size() / 2;
        const torch::Tensor sum = sent[index] + sent[calls + index];
        ++index;
        return sum;
      };
      results.push_back(call(reduction));
    }
    return results;
  };
  const auto gathered = twoRanks([&](const wsss::BatchReduction& reduction) {
    return reduction.gatherRows(batch.narrow(0, 2 * reduction.rank, 2));
  });
  CHECK(torch::equal(gathered[0], batch));
  CHECK(torch::equal(gathered[1], batch));
  wsss::BatchReduction second;
  second.ranks = 2;
  second.rank = 1;
  second.sumOverRanks = [](const torch::Tensor& tensor) { return tensor; };
  CHECK(torch::equal(second.ownRows(batch), batch.narrow(0, 2, 2)));

  // The mean over unequal shares (3 rows and 1), averaged over the ranks: the global mean.
  const auto means = twoRanks([&](const wsss::BatchReduction& reduction) {
    return reduction.mean(reduction.rank == 0 ? batch.narrow(0, 0, 3) : batch.narrow(0, 3, 1));
  });
  CHECK((means[0] + means[1]).item<double>() / 2 == Approx(batch.mean().item<double>()));
  // In one process it is the plain mean.
  CHECK(wsss::BatchReduction().mean(batch).item<double>() == batch.mean().item<double>());
}
