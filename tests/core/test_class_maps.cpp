// The bilinear resize as matrix products (what train.deterministic uses on CUDA) is
// interpolate's resize: the same values and the same gradients.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "core/class_maps.h"

TEST_CASE("resizeByMatrices equals bilinear interpolate, values and gradients",
          "[class_maps][deterministic]") {
  torch::manual_seed(4);
  // Up, down, mixed and odd sizes, including a size-1 side.
  const std::vector<std::array<int64_t, 4>> shapes = {
      {7, 9, 28, 36}, {28, 36, 7, 9}, {10, 6, 5, 17}, {1, 5, 4, 3}, {13, 11, 13, 12}};
  for (const auto& [inH, inW, outH, outW] : shapes) {
    INFO(inH << "x" << inW << " -> " << outH << "x" << outW);
    const torch::Tensor maps = torch::randn({2, 3, inH, inW});
    const torch::Tensor a = maps.clone().requires_grad_(true);
    const torch::Tensor b = maps.clone().requires_grad_(true);
    const torch::Tensor expected = wsss::resizeMaps(a, outH, outW);
    const torch::Tensor actual = wsss::resizeByMatrices(b, outH, outW);
    REQUIRE(actual.sizes() == expected.sizes());
    CHECK(torch::allclose(actual, expected, 1e-5, 1e-5));
    const torch::Tensor upstream = torch::randn_like(expected);
    (expected * upstream).sum().backward();
    (actual * upstream).sum().backward();
    CHECK(torch::allclose(a.grad(), b.grad(), 1e-5, 1e-5));
  }
}

TEST_CASE("resizeByMatrices computes in float32 under any input type", "[class_maps]") {
  const torch::Tensor maps = torch::rand({1, 2, 4, 4}).to(torch::kFloat64);
  CHECK(wsss::resizeByMatrices(maps, 8, 8).scalar_type() == torch::kFloat32);
}
