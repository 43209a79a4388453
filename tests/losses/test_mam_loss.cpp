// MAM (METHODS §1) on hand-built maps: the 2 − cos weights, the detached target and the loss.
#include <catch2/catch.hpp>

#include "losses/mam_loss.h"

TEST_CASE("the MAM weight is 1 for identical maps and 2 for disjoint ones", "[losses][mam]") {
  const torch::Tensor left = torch::tensor({1.f, 1.f, 0.f, 0.f}).view({1, 1, 2, 2});
  const torch::Tensor right = torch::tensor({0.f, 0.f, 1.f, 1.f}).view({1, 1, 2, 2});
  CHECK(wsss::attentionWeights(left, left * 3).item<double>() == Approx(1.0));
  CHECK(wsss::attentionWeights(left, right).item<double>() == Approx(2.0));
  // Half overlapping: cos = 1/2.
  const torch::Tensor middle = torch::tensor({0.f, 1.f, 1.f, 0.f}).view({1, 1, 2, 2});
  CHECK(wsss::attentionWeights(left, middle).item<double>() == Approx(1.5));
  // Per image and class.
  const torch::Tensor both = torch::cat({left, right}, 1);
  CHECK(torch::allclose(wsss::attentionWeights(both, torch::cat({left, left}, 1)),
                        torch::tensor({{1.f, 2.f}})));
}

TEST_CASE("the MAM target weights each support map and carries no gradient", "[losses][mam]") {
  const torch::Tensor main =
      torch::tensor({1.f, 1.f, 0.f, 0.f}).view({1, 1, 2, 2}).clone().requires_grad_();
  const torch::Tensor same = torch::tensor({2.f, 2.f, 0.f, 0.f}).view({1, 1, 2, 2});
  const torch::Tensor other = torch::tensor({0.f, 0.f, 1.f, 1.f}).view({1, 1, 2, 2});
  const torch::Tensor target = wsss::attentionTarget(main, {same, other});
  // mean(1 · same, 2 · other)
  CHECK(torch::allclose(target, torch::tensor({1.f, 1.f, 1.f, 1.f}).view({1, 1, 2, 2})));
  CHECK_FALSE(target.requires_grad());

  const torch::Tensor loss = wsss::mamLoss({main, main * 0.5}, {same, other});
  // Scale 1: mean |1 − main| = mean(0, 0, 1, 1) = 0.5. Scale 2 (main / 2, same weights since the
  // cosine ignores the size): mean |1 − main / 2| = mean(.5, .5, 1, 1) = 0.75.
  CHECK(loss.item<double>() == Approx(1.25));
  loss.backward();
  CHECK(main.grad().defined());
}

TEST_CASE("MAM runs on the leading part of the batch, at least one image", "[losses][mam]") {
  wsss::MamOptions options;
  CHECK(options.imagesOf(8) == 4);
  CHECK(options.imagesOf(3) == 1);
  CHECK(options.imagesOf(1) == 1);
  options.batchFraction = 1.0;
  CHECK(options.imagesOf(5) == 5);
}
