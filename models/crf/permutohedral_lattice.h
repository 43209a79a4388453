#pragma once
// Gaussian filtering in a d-dimensional feature space on the permutohedral lattice (Adams, Baek,
// Davis, "Fast High-Dimensional Filtering Using the Permutohedral Lattice", Eurographics 2010):
// out_i ≈ Σ_j exp(-|f_i - f_j|² / 2) v_j for N points f (already divided by the kernel's
// standard deviations) carrying V values each, in O(N (d + 1) V) rather than O(N² V).
//
// Each point is lifted onto the hyperplane of (d + 1)-vectors summing to zero, where the
// lattice's simplices tile space; its values are spread over the d + 1 vertices of the simplex
// holding it by its barycentric weights (splat), the vertices' values are blurred with
// [1/2 1 1/2] along each of the d + 1 lattice axes in turn (blur), and each point reads its
// simplex back with the same weights (slice). Only the vertices some point touches exist; they
// live in a hash table while the lattice is built and as dense rows afterwards. The lattice is
// built once per feature set and filters any number of value sets; filtering runs in parallel
// over vertices and points with at::parallel_for.
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace wsss {

class PermutohedralLattice {
 public:
  // `features`: N x d, floating point, finite, on the CPU; row i is point i's position divided
  // by the kernel's standard deviation along each axis.
  explicit PermutohedralLattice(const torch::Tensor& features);

  int64_t points() const { return points_; }          // N
  int64_t dimensions() const { return dimensions_; }  // d
  int64_t vertices() const { return vertices_; }      // M: lattice points some point touches

  // N x V float32 -> M x V: every point's values spread over its simplex's vertices.
  torch::Tensor splat(const torch::Tensor& values) const;
  // M x V float32 -> M x V: the [1/2 1 1/2] blur along each lattice axis in turn (a vertex
  // whose neighbour no point touched reads zero there).
  torch::Tensor blur(const torch::Tensor& latticeValues) const;
  // M x V float32 -> N x V: every point's values read back from its simplex's vertices,
  // scaled so that the three steps together approximate the Gaussian sum above.
  torch::Tensor slice(const torch::Tensor& latticeValues) const;
  // slice(blur(splat(values))): N x V float32 -> N x V, the unnormalised Gaussian filter.
  torch::Tensor filter(const torch::Tensor& values) const;

  // The filter on raw rows, for loops that filter many times (mean field): `in` and `out` hold
  // N rows of `valueSize` floats, a multiple of 4 (pad with zero columns). Row i is multiplied
  // by inScale[i] before the splat and its result by outScale[i] after the slice (a null scale
  // is 1), then written to `out` or, with `accumulate`, added to it. `scratch` holds the
  // lattice's values between the steps; passing the same vector again saves allocating it.
  void filterRows(const float* in, float* out, int64_t valueSize, const float* inScale,
                  const float* outScale, bool accumulate, std::vector<float>& scratch) const;
  // filterRows in two halves, for callers that fuse the slice with their own work per point
  // (mean field slices two lattices and takes a softmax in one pass over the pixels):
  // splatAndBlur returns the blurred lattice (M rows of `valueSize`, inside `scratch`), and
  // sliceRange slices it for points [begin, end) on the calling thread.
  const float* splatAndBlur(const float* in, int64_t valueSize, const float* inScale,
                            std::vector<float>& scratch) const;
  void sliceRange(const float* lattice, float* out, int64_t valueSize, const float* outScale,
                  bool accumulate, int64_t begin, int64_t end) const;

 private:
  // Tasks of a splat point by point, each into its own copy of the lattice.
  int64_t splatTasks() const;
  // Fills the M rows of `lattice`; `partials` holds (splatTasks() - 1) x M rows.
  void splatRows(const float* in, int64_t valueSize, const float* inScale, float* lattice,
                 float* partials) const;
  // Blurs `lattice`, using `spare` (the same size) as the other buffer of each pass; returns
  // whichever of the two holds the result. Both have M + 1 rows, the last one zeros.
  const float* blurRows(float* lattice, float* spare, int64_t valueSize) const;
  // sliceRange over every point, in parallel.
  void sliceRows(const float* lattice, float* out, int64_t valueSize, const float* outScale,
                 bool accumulate) const;
  float sliceGain() const;

  int64_t points_ = 0;
  int64_t dimensions_ = 0;
  int64_t vertices_ = 0;
  // Point i's simplex: vertex indices and barycentric weights, (d + 1) per point.
  std::vector<int32_t> pointVertex_;
  std::vector<float> pointWeight_;
  // Whether the splat gathers each vertex's points (a lattice with more than one vertex per two
  // points) rather than adding each point into its vertices; for the gather, the same pairs
  // grouped by vertex (vertex m's are [vertexStart_[m], vertexStart_[m + 1])).
  bool gatherSplat_ = false;
  std::vector<int64_t> vertexStart_;
  std::vector<int32_t> entryPoint_;
  std::vector<float> entryWeight_;
  // For lattice axis a and vertex m, the two neighbours along the axis at
  // [(a * M + m) * 2 + {0, 1}]; M (one past the last vertex) names a row of zeros.
  std::vector<int32_t> neighbours_;
};

// The Gaussian filter with densecrf's symmetric normalisation (NORMALIZE_SYMMETRIC, the
// default of pydensecrf's addPairwiseGaussian / addPairwiseBilateral): with D_i = (K 1)_i, the
// lattice filter of ones, out = D^{-1/2} K D^{-1/2} v. Normalising makes the result independent
// of the lattice's overall scale and of how crowded a point's neighbourhood is, and keeps the
// filter symmetric, as mean field on a CRF with a symmetric kernel expects.
class NormalisedGaussianFilter {
 public:
  explicit NormalisedGaussianFilter(const torch::Tensor& features);

  const PermutohedralLattice& lattice() const { return lattice_; }
  // N: D_i^{-1/2}, with D_i the filtered ones (1e-20 added before the root, as densecrf does).
  const std::vector<float>& normaliser() const { return normaliser_; }

  // N x V float32 -> N x V: D^{-1/2} K D^{-1/2} values.
  torch::Tensor apply(const torch::Tensor& values) const;

 private:
  PermutohedralLattice lattice_;
  std::vector<float> normaliser_;
};

}  // namespace wsss
