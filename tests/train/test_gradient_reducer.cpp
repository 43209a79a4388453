// The gradients of a data-parallel step: summed over the ranks in buckets that start during the
// backward pass, and BatchNorm over the global batch (docs/distributed.md). The ranks are
// threads with Gloo groups over one in-memory store.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <mutex>

#include "models/sync_batch_norm.h"
#include "train/distributed/gradient_reducer.h"
#include "train/distributed/process_group.h"
#include "train/rank_threads.h"

using wsss::test::onRankGroups;

namespace {

// A small net whose parameters span several buckets, and a head only some steps reach.
struct TwoHeads : torch::nn::Module {
  TwoHeads() {
    torch::manual_seed(5);
    body = register_module("body", torch::nn::Linear(6, 5));
    head = register_module("head", torch::nn::Linear(5, 3));
    spare = register_module("spare", torch::nn::Linear(5, 2));
  }
  torch::nn::Linear body{nullptr}, head{nullptr}, spare{nullptr};
};

// One rank's rows: they differ per rank.
torch::Tensor rankInput(int64_t rank) {
  return torch::linspace(-1, 1, 24).view({4, 6}) * static_cast<double>(rank + 1) +
         0.1 * static_cast<double>(rank);
}

torch::Tensor rankLoss(TwoHeads& net, int64_t rank, bool useSpare) {
  const torch::Tensor features = torch::tanh(net.body->forward(rankInput(rank)));
  torch::Tensor loss = net.head->forward(features).square().mean();
  if (useSpare) loss = loss + net.spare->forward(features).sum();
  return loss;
}

// Each rank's gradients of its own loss, computed in one process.
std::vector<std::vector<torch::Tensor>> gradientsAlone(const std::vector<bool>& useSpare) {
  std::vector<std::vector<torch::Tensor>> gradients;
  for (int64_t rank = 0; rank < static_cast<int64_t>(useSpare.size()); ++rank) {
    TwoHeads net;
    rankLoss(net, rank, useSpare[static_cast<size_t>(rank)]).backward();
    gradients.emplace_back();
    for (const auto& parameter : net.parameters()) {
      gradients.back().push_back(parameter.grad().defined() ? parameter.grad().clone()
                                                            : torch::Tensor());
    }
  }
  return gradients;
}

}  // namespace

TEST_CASE("gradient buckets: every rank ends with the mean gradient, most buckets started early",
          "[train][distributed]") {
  const auto alone = gradientsAlone({true, true});
  std::mutex mutex;
  std::vector<int64_t> early(2, -1), buckets(2, 0);
  const auto errors = onRankGroups(2, 30, [&](const std::shared_ptr<wsss::DistributedGroup>& group) {
    TwoHeads net;
    // 64-byte buckets hold one or two parameters each.
    wsss::GradientReducer reducer(group, net.parameters(), 64);
    for (int step = 0; step < 2; ++step) {  // the buffers are reused from step to step
      for (auto& parameter : net.parameters()) parameter.mutable_grad() = torch::Tensor();
      reducer.prepare();
      rankLoss(net, group->rank(), true).backward();
      reducer.finish();
      const auto parameters = net.parameters();
      for (size_t index = 0; index < parameters.size(); ++index) {
        const torch::Tensor mean = (alone[0][index] + alone[1][index]) / 2;
        REQUIRE(parameters[index].grad().defined());
        CHECK(torch::allclose(parameters[index].grad(), mean, 1e-6, 1e-7));
      }
    }
    const std::lock_guard<std::mutex> lock(mutex);
    early[static_cast<size_t>(group->rank())] = reducer.bucketsStartedEarly();
    buckets[static_cast<size_t>(group->rank())] = reducer.bucketCount();
  });
  CHECK(errors == std::vector<std::string>{"", ""});
  // Last layer first, 64 bytes at most: spare (48) + head.bias (12), head.weight (60),
  // body.bias (20), body.weight (120, alone).
  CHECK(buckets[0] == 4);
  // Every parameter is reached, so every bucket starts inside the backward pass.
  CHECK(early[0] == buckets[0]);
  CHECK(early[1] == buckets[1]);
}

TEST_CASE("gradient buckets: a parameter one rank did not reach gets zero from it, one no rank "
          "reached keeps no gradient",
          "[train][distributed]") {
  const auto alone = gradientsAlone({true, false});
  const auto errors = onRankGroups(2, 30, [&](const std::shared_ptr<wsss::DistributedGroup>& group) {
    TwoHeads net;
    wsss::GradientReducer reducer(group, net.parameters());
    reducer.prepare();
    rankLoss(net, group->rank(), group->rank() == 0).backward();
    reducer.finish();
    const auto parameters = net.parameters();
    for (size_t index = 0; index < parameters.size(); ++index) {
      const torch::Tensor other = alone[1][index].defined() ? alone[1][index]
                                                            : torch::zeros_like(alone[0][index]);
      REQUIRE(parameters[index].grad().defined());
      CHECK(torch::allclose(parameters[index].grad(), (alone[0][index] + other) / 2, 1e-6, 1e-7));
    }
    // No rank reaches the spare head.
    for (auto& parameter : net.parameters()) parameter.mutable_grad() = torch::Tensor();
    reducer.prepare();
    rankLoss(net, group->rank(), false).backward();
    reducer.finish();
    CHECK_FALSE(net.spare->weight.grad().defined());
    CHECK_FALSE(net.spare->bias.grad().defined());
    CHECK(net.head->weight.grad().defined());
  });
  CHECK(errors == std::vector<std::string>{"", ""});
}

TEST_CASE("gradient buckets: a second backward pass in one step is refused", "[train][distributed]") {
  const auto errors = onRankGroups(1, 30, [&](const std::shared_ptr<wsss::DistributedGroup>& group) {
    TwoHeads net;
    wsss::GradientReducer reducer(group, net.parameters());
    reducer.prepare();
    rankLoss(net, 0, true).backward();
    rankLoss(net, 0, true).backward();
  });
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::Contains("arrived twice"));
}

TEST_CASE("SyncBatchNorm over 2 ranks: the outputs, gradients and running statistics of one "
          "process's BatchNorm over the whole batch",
          "[train][distributed]") {
  torch::manual_seed(11);
  // Not centred, so the variance's cancellation is exercised.
  const torch::Tensor batch = torch::randn({4, 3, 5, 6}) * 2 + 7;
  const torch::Tensor upstream = torch::randn({4, 3, 5, 6});
  const auto initialise = [](torch::nn::BatchNorm2dImpl& layer) {
    torch::NoGradGuard noGrad;
    layer.weight.copy_(torch::tensor({0.5, 1.5, -1.0}));
    layer.bias.copy_(torch::tensor({0.1, -0.2, 0.3}));
  };
  // One process, the whole batch.
  wsss::SyncBatchNorm2d single(3);
  initialise(*single);
  const torch::Tensor singleInput = batch.clone().requires_grad_(true);
  const torch::Tensor singleOutput = single->forward(singleInput);
  (singleOutput * upstream).sum().backward();

  std::mutex mutex;
  std::vector<torch::Tensor> outputs(2), inputGradients(2), weightGradients(2), biasGradients(2);
  torch::Tensor runningMean, runningVar;
  const auto errors = onRankGroups(2, 30, [&](const std::shared_ptr<wsss::DistributedGroup>& group) {
    const int64_t rank = group->rank();
    const std::shared_ptr<wsss::DistributedGroup> statistics = group->channel("batch_norm");
    wsss::SyncBatchNorm2d layer(3);
    initialise(*layer);
    CHECK(wsss::synchroniseBatchNorm(*layer, [statistics](const torch::Tensor& local) {
            torch::Tensor sum = local.clone();
            statistics->allReduceSum({sum});
            return sum;
          }) == 1);
    const torch::Tensor input = batch.narrow(0, 2 * rank, 2).clone().requires_grad_(true);
    const torch::Tensor output = layer->forward(input);
    (output * upstream.narrow(0, 2 * rank, 2)).sum().backward();
    const std::lock_guard<std::mutex> lock(mutex);
    outputs[static_cast<size_t>(rank)] = output.detach();
    inputGradients[static_cast<size_t>(rank)] = input.grad();
    weightGradients[static_cast<size_t>(rank)] = layer->weight.grad();
    biasGradients[static_cast<size_t>(rank)] = layer->bias.grad();
    if (rank == 1) {
      runningMean = layer->running_mean.clone();
      runningVar = layer->running_var.clone();
    }
  });
  REQUIRE(errors == std::vector<std::string>{"", ""});
  CHECK(torch::allclose(torch::cat(outputs), singleOutput.detach(), 1e-5, 1e-5));
  CHECK(torch::allclose(torch::cat(inputGradients), singleInput.grad(), 1e-5, 1e-5));
  // Each rank's parameter gradient is its share; their sum is the whole batch's.
  CHECK(torch::allclose(weightGradients[0] + weightGradients[1], single->weight.grad(), 1e-5,
                        1e-5));
  CHECK(torch::allclose(biasGradients[0] + biasGradients[1], single->bias.grad(), 1e-5, 1e-5));
  CHECK(torch::allclose(runningMean, single->running_mean, 1e-5, 1e-6));
  CHECK(torch::allclose(runningVar, single->running_var, 1e-5, 1e-6));
  // Without a sum over ranks, and in eval mode, it is torch's BatchNorm2d.
  torch::nn::BatchNorm2d plain(3);
  wsss::SyncBatchNorm2d unsynced(3);
  CHECK(torch::equal(plain->forward(batch), unsynced->forward(batch)));
}

TEST_CASE("SyncBatchNorm: one image per rank is enough when the global batch has two",
          "[train][distributed]") {
  // ASPP's image pooling: 1 x 1 maps, so each rank alone has one value per channel.
  const torch::Tensor batch = torch::tensor({1.0, 3.0}).view({2, 1, 1, 1});
  std::mutex mutex;
  std::vector<double> outputs(2);
  const auto errors = onRankGroups(2, 30, [&](const std::shared_ptr<wsss::DistributedGroup>& group) {
    const std::shared_ptr<wsss::DistributedGroup> statistics = group->channel("batch_norm");
    wsss::SyncBatchNorm2d layer(1);
    layer->setRankSum([statistics](const torch::Tensor& local) {
      torch::Tensor sum = local.clone();
      statistics->allReduceSum({sum});
      return sum;
    });
    const double output = layer->forward(batch.narrow(0, group->rank(), 1)).item<double>();
    const std::lock_guard<std::mutex> lock(mutex);
    outputs[static_cast<size_t>(group->rank())] = output;
  });
  REQUIRE(errors == std::vector<std::string>{"", ""});
  // Mean 2, variance 1: the two images normalise to -1 and 1 (up to BatchNorm's eps).
  CHECK(outputs[0] == Approx(-1.0).epsilon(1e-4));
  CHECK(outputs[1] == Approx(1.0).epsilon(1e-4));
}
