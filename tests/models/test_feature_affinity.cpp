// The feature affinity of METHODS §3: a softmax over the stencil that stays within a region of
// like features, and maps propagated along it.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include "models/refine/feature_affinity.h"

TEST_CASE("feature affinities are a softmax over the stencil, the pixel included",
          "[models][refine]") {
  torch::manual_seed(0);
  const auto offsets = wsss::stencilOffsets({1, 2, 4}, true);
  REQUIRE(offsets.size() == 25);
  const torch::Tensor affinity =
      wsss::featureAffinity(torch::randn({2, 8, 10, 12}), torch::Tensor(), offsets, 0.1);
  REQUIRE(affinity.sizes() == torch::IntArrayRef({2, 25, 10, 12}));
  CHECK(torch::allclose(affinity.sum(1), torch::ones({2, 10, 12})));
  // Like features everywhere: every neighbour weighs the same.
  const torch::Tensor uniform =
      wsss::featureAffinity(torch::ones({1, 4, 6, 6}), torch::Tensor(), offsets, 0.1);
  CHECK(torch::allclose(uniform, torch::full({1, 25, 6, 6}, 1.0 / 25)));
  CHECK_THROWS_WITH(wsss::featureAffinity(torch::ones({1, 4, 6, 6}), torch::Tensor(), offsets, 0),
                    Catch::Contains("temperature"));
}

TEST_CASE("a map propagated along the affinity stays within its region of like features",
          "[models][refine]") {
  // Orthogonal features left and right: ⟨f_i, f_j⟩ is 1 within a side and 0 across.
  torch::Tensor features = torch::zeros({1, 2, 16, 16});
  features[0][0].narrow(1, 0, 8).fill_(1.0);
  features[0][1].narrow(1, 8, 8).fill_(1.0);
  torch::Tensor maps = torch::zeros({1, 1, 16, 16});
  maps.narrow(3, 0, 8).fill_(1.0);
  const auto offsets = wsss::stencilOffsets({1, 2, 4}, true);
  const torch::Tensor affinity = wsss::featureAffinity(features, torch::Tensor(), offsets, 0.1);
  const torch::Tensor propagated = wsss::propagateByAffinity(maps, affinity, offsets, 3);
  CHECK(propagated.narrow(3, 8, 8).max().item<float>() < 0.01f);
  CHECK(propagated.narrow(3, 0, 8).min().item<float>() > 0.99f);
  // Invalid neighbours are left out of the softmax.
  torch::Tensor valid = torch::ones({1, 1, 16, 16}, torch::kBool);
  valid.narrow(3, 12, 4).fill_(false);
  const torch::Tensor masked = wsss::featureAffinity(features, valid, offsets, 0.1);
  CHECK(torch::allclose(masked.sum(1).narrow(2, 0, 12), torch::ones({1, 16, 12})));
  CHECK(masked.masked_select(wsss::validNeighbours(valid, offsets).logical_not())
            .abs()
            .max()
            .item<float>() == 0.f);
}
