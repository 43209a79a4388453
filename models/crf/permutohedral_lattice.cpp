#include "models/crf/permutohedral_lattice.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "models/crf/float_vectors.h"

namespace wsss {
namespace {

// Rows per task of the parallel loops: enough work per task to pay for handing it out.
constexpr int64_t kRowGrain = 1024;

// Open addressing from a vertex's key to its index, indices given in order of first insertion.
// A key is the vertex's first d coordinates (the last is minus their sum).
class VertexTable {
 public:
  VertexTable(int64_t keySize, int64_t expectedVertices) : keySize_(keySize) {
    int64_t capacity = 64;
    while (capacity < 2 * expectedVertices) capacity *= 2;
    resize(capacity);
    keys_.reserve(static_cast<size_t>(expectedVertices * keySize));
  }

  int64_t size() const { return static_cast<int64_t>(keys_.size()) / keySize_; }
  const std::vector<int32_t>& keys() const { return keys_; }

  // The index of `key`, added if it is new.
  int32_t insert(const int32_t* key) {
    // Kept at most half full, so probe runs stay short.
    if (2 * (size() + 1) > static_cast<int64_t>(slots_.size())) grow();
    for (uint64_t slot = home(key);; slot = (slot + 1) & mask_) {
      const int32_t index = slots_[slot];
      if (index < 0) {
        WSSS_CHECK(size() < std::numeric_limits<int32_t>::max(),
                   "permutohedral lattice: more than 2^31 vertices; use fewer points or larger "
                   "standard deviations");
        slots_[slot] = static_cast<int32_t>(size());
        keys_.insert(keys_.end(), key, key + keySize_);
        return slots_[slot];
      }
      if (sameKey(key, index)) return index;
    }
  }

  // The index of `key`, or -1 when no point touched that vertex.
  int32_t find(const int32_t* key) const {
    for (uint64_t slot = home(key);; slot = (slot + 1) & mask_) {
      const int32_t index = slots_[slot];
      if (index < 0) return -1;
      if (sameKey(key, index)) return index;
    }
  }

 private:
  // Fibonacci hashing of a multiplicative mix: the slot comes from the high bits, which every
  // coordinate reaches.
  uint64_t home(const int32_t* key) const {
    uint64_t mixed = 0;
    for (int64_t k = 0; k < keySize_; ++k) {
      mixed = (mixed + static_cast<uint32_t>(key[k])) * 0x9E3779B97F4A7C15ull;
      mixed ^= mixed >> 29;
    }
    return (mixed * 0x9E3779B97F4A7C15ull) >> shift_;
  }
  bool sameKey(const int32_t* key, int32_t index) const {
    const int32_t* stored = keys_.data() + static_cast<int64_t>(index) * keySize_;
    for (int64_t k = 0; k < keySize_; ++k) {
      if (key[k] != stored[k]) return false;
    }
    return true;
  }
  void resize(int64_t capacity) {
    slots_.assign(static_cast<size_t>(capacity), -1);
    mask_ = static_cast<uint64_t>(capacity - 1);
    shift_ = 64;
    for (int64_t c = capacity; c > 1; c /= 2) --shift_;
  }
  void grow() {
    resize(2 * static_cast<int64_t>(slots_.size()));
    for (int32_t index = 0; index < size(); ++index) {
      uint64_t slot = home(keys_.data() + static_cast<int64_t>(index) * keySize_);
      while (slots_[slot] >= 0) slot = (slot + 1) & mask_;
      slots_[slot] = index;
    }
  }

  int64_t keySize_;
  std::vector<int32_t> slots_;  // vertex index, or -1 for an empty slot
  std::vector<int32_t> keys_;   // vertex-major
  uint64_t mask_ = 0;
  int shift_ = 64;
};

using namespace crf;

// Point i's simplex: vertices and barycentric weights at [i * corners, (i + 1) * corners).
struct Simplices {
  const int32_t* vertex;
  const float* weight;
  int64_t corners;
};

// Each vertex's points, for the gather: [start[v], start[v + 1]) of point and weight.
struct VertexPoints {
  const int64_t* start;
  const int32_t* point;
  const float* weight;
};

// The kernels: each runs over rows [begin, end) on one column block of `Groups` vectors, the
// loops over the block of compile-time length, so they unroll (`#pragma GCC unroll`, which
// Clang also reads, makes sure of it at -O2) and keep a row in registers.

// Splat point by point: adds rows [begin, end) of `in`, times inScale and each vertex's weight,
// into their vertices' rows of `target`.
template <class Vec, int64_t Groups>
struct ScatterBlock {
  static WSSS_ALWAYS_INLINE void run(int64_t column, const Simplices& simplices, const float* in,
                                     const float* inScale, float* target, int64_t valueSize,
                                     int64_t begin, int64_t end) {
    constexpr int64_t lanes = kLanes<Vec>;
    for (int64_t i = begin; i < end; ++i) {
      Vec row[Groups];
#pragma GCC unroll 8
      for (int64_t g = 0; g < Groups; ++g)
        loadVector(row[g], in + i * valueSize + column + lanes * g);
      const float scale = inScale ? inScale[i] : 1.0f;
      for (int64_t r = 0; r < simplices.corners; ++r) {
        const int64_t entry = i * simplices.corners + r;
        const float weight = scale * simplices.weight[entry];
        float* vertex = target + simplices.vertex[entry] * valueSize + column;
#pragma GCC unroll 8
        for (int64_t g = 0; g < Groups; ++g) {
          Vec sum;
          loadVector(sum, vertex + lanes * g);
          storeVector(vertex + lanes * g, Vec(sum + weight * row[g]));
        }
      }
    }
  }
};

// Splat vertex by vertex: rows [begin, end) of `lattice` from their points' rows of `in`.
template <class Vec, int64_t Groups>
struct GatherBlock {
  static WSSS_ALWAYS_INLINE void run(int64_t column, const VertexPoints& points, const float* in,
                                     const float* inScale, float* lattice, int64_t valueSize,
                                     int64_t begin, int64_t end) {
    constexpr int64_t lanes = kLanes<Vec>;
    for (int64_t v = begin; v < end; ++v) {
      Vec sum[Groups] = {};
      for (int64_t e = points.start[v]; e < points.start[v + 1]; ++e) {
        const int64_t point = points.point[e];
        const float weight = inScale ? points.weight[e] * inScale[point] : points.weight[e];
        const float* row = in + point * valueSize + column;
#pragma GCC unroll 8
        for (int64_t g = 0; g < Groups; ++g) {
          Vec value;
          loadVector(value, row + lanes * g);
          sum[g] += weight * value;
        }
      }
#pragma GCC unroll 8
      for (int64_t g = 0; g < Groups; ++g) {
        storeVector(lattice + v * valueSize + column + lanes * g, sum[g]);
      }
    }
  }
};

// One blur pass along an axis: target = source + (left + right) / 2 for vertices [begin, end),
// `pairs` their two neighbours.
template <class Vec, int64_t Groups>
struct BlurBlock {
  static WSSS_ALWAYS_INLINE void run(int64_t column, const int32_t* pairs, const float* source,
                                     float* target, int64_t valueSize, int64_t begin, int64_t end) {
    constexpr int64_t lanes = kLanes<Vec>;
    // Neighbours are scattered over the lattice: their rows are fetched a few vertices ahead.
    constexpr int64_t kAhead = 8;
    for (int64_t v = begin; v < end; ++v) {
      if (v + kAhead < end) {
        for (int64_t side = 0; side < 2; ++side) {
          const float* ahead =
              source + static_cast<int64_t>(pairs[2 * (v + kAhead) + side]) * valueSize + column;
          for (int64_t offset = 0; offset < Groups * lanes; offset += 16) {
            __builtin_prefetch(ahead + offset);
          }
          __builtin_prefetch(ahead + Groups * lanes - 1);
        }
      }
      const float* centre = source + v * valueSize + column;
      const float* left = source + static_cast<int64_t>(pairs[2 * v]) * valueSize + column;
      const float* right = source + static_cast<int64_t>(pairs[2 * v + 1]) * valueSize + column;
      float* row = target + v * valueSize + column;
#pragma GCC unroll 8
      for (int64_t g = 0; g < Groups; ++g) {
        Vec middle, first, second;
        loadVector(middle, centre + lanes * g);
        loadVector(first, left + lanes * g);
        loadVector(second, right + lanes * g);
        storeVector(row + lanes * g, Vec(middle + 0.5f * (first + second)));
      }
    }
  }
};

// Slice: rows [begin, end) of `out` from their simplices' vertices, times gain and outScale,
// written or added.
template <class Vec, int64_t Groups>
struct SliceBlock {
  static WSSS_ALWAYS_INLINE void run(int64_t column, const Simplices& simplices,
                                     const float* lattice, float* out, const float* outScale,
                                     bool accumulate, float gain, int64_t valueSize, int64_t begin,
                                     int64_t end) {
    constexpr int64_t lanes = kLanes<Vec>;
    for (int64_t i = begin; i < end; ++i) {
      Vec sum[Groups] = {};
      for (int64_t r = 0; r < simplices.corners; ++r) {
        const int64_t entry = i * simplices.corners + r;
        const float weight = simplices.weight[entry];
        const float* vertex = lattice + simplices.vertex[entry] * valueSize + column;
#pragma GCC unroll 8
        for (int64_t g = 0; g < Groups; ++g) {
          Vec value;
          loadVector(value, vertex + lanes * g);
          sum[g] += weight * value;
        }
      }
      const float scale = outScale ? gain * outScale[i] : gain;
      float* row = out + i * valueSize + column;
#pragma GCC unroll 8
      for (int64_t g = 0; g < Groups; ++g) {
        Vec value = scale * sum[g];
        if (accumulate) {
          Vec previous;
          loadVector(previous, row + lanes * g);
          value += previous;
        }
        storeVector(row + lanes * g, value);
      }
    }
  }
};

// Runs Block over rows of `valueSize` floats, one column block of at most 8 vectors at a time.
template <template <class, int64_t> class Block, class Vec, class... Args>
WSSS_ALWAYS_INLINE void forEachBlock(int64_t valueSize, const Args&... args) {
  constexpr int64_t kMaxGroups = 8;
  const int64_t groups = valueSize / kLanes<Vec>;
  for (int64_t first = 0; first < groups; first += kMaxGroups) {
    const int64_t column = first * kLanes<Vec>;
    switch (std::min(groups - first, kMaxGroups)) {
      case 1:
        Block<Vec, 1>::run(column, args...);
        break;
      case 2:
        Block<Vec, 2>::run(column, args...);
        break;
      case 3:
        Block<Vec, 3>::run(column, args...);
        break;
      case 4:
        Block<Vec, 4>::run(column, args...);
        break;
      case 5:
        Block<Vec, 5>::run(column, args...);
        break;
      case 6:
        Block<Vec, 6>::run(column, args...);
        break;
      case 7:
        Block<Vec, 7>::run(column, args...);
        break;
      default:
        Block<Vec, 8>::run(column, args...);
        break;
    }
  }
}

template <template <class, int64_t> class Block, class... Args>
void runNarrow(int64_t valueSize, const Args&... args) {
  forEachBlock<Block, Float4>(valueSize, args...);
}

#if WSSS_CRF_WIDE
template <template <class, int64_t> class Block, class... Args>
__attribute__((target("avx2,fma"))) void runWide(int64_t valueSize, const Args&... args) {
  forEachBlock<Block, Float8>(valueSize, args...);
}
#endif

// Block over rows of `valueSize` floats (a multiple of 4), on Float8 where the processor and the
// row allow it.
template <template <class, int64_t> class Block, class... Args>
void runBlocks(int64_t valueSize, const Args&... args) {
#if WSSS_CRF_WIDE
  static const bool wide = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (wide && valueSize % 8 == 0) {
    runWide<Block>(valueSize, args...);
    return;
  }
#endif
  runNarrow<Block>(valueSize, args...);
}

// Tasks a parallel loop may run at once here: one inside another parallel loop (an image of a
// batch), where ATen runs nested loops inline.
int64_t parallelTasks() { return at::in_parallel_region() ? 1 : at::get_num_threads(); }

// `values` (N x V float32) with V padded by zero columns to a multiple of 8, contiguous.
torch::Tensor paddedRows(const torch::Tensor& values) {
  const int64_t padding = (8 - values.size(1) % 8) % 8;
  return padding == 0 ? values.contiguous()
                      : torch::constant_pad_nd(values, {0, padding}).contiguous();
}

torch::Tensor checkedRows(const torch::Tensor& values, int64_t rows, const char* what) {
  WSSS_CHECK(values.dim() == 2 && values.size(0) == rows, "permutohedral lattice: ", what,
             " must be ", rows, " x V, got ", values.sizes());
  WSSS_CHECK(values.scalar_type() == torch::kFloat32 && values.device().is_cpu(),
             "permutohedral lattice: ", what,
             " must be float32 on the CPU (convert with .to(torch::kFloat32).cpu()), got ",
             values.scalar_type(), " on ", values.device());
  return values.contiguous();
}

}  // namespace

PermutohedralLattice::PermutohedralLattice(const torch::Tensor& features) {
  WSSS_CHECK(features.dim() == 2 && features.size(0) >= 1 && features.size(1) >= 1,
             "permutohedral lattice: features must be N x d with N, d >= 1, got ",
             features.sizes());
  WSSS_CHECK(features.is_floating_point() && features.device().is_cpu(),
             "permutohedral lattice: features must be floating point on the CPU, got ",
             features.scalar_type(), " on ", features.device());
  const torch::Tensor positions = features.to(torch::kFloat32).contiguous();
  points_ = positions.size(0);
  dimensions_ = positions.size(1);
  const int64_t d = dimensions_;
  const int64_t corners = d + 1;
  // One pass, no copy: NaN and infinities reach the min or the max. Lattice coordinates are
  // int32: |elevated| <= 2 d spread max |f| must stay well inside them.
  const auto [lowest, highest] = torch::aminmax(positions);
  const double largest =
      std::max(std::abs(lowest.item<double>()), std::abs(highest.item<double>()));
  WSSS_CHECK(std::isfinite(largest),
             "permutohedral lattice: features hold NaN or infinity; check the standard "
             "deviations they were divided by");
  WSSS_CHECK(largest * 2.0 * static_cast<double>(d * corners) < 1e8,
             "permutohedral lattice: features reach ", largest,
             ", too far for the lattice's integer coordinates; are the standard deviations "
             "(what the features were divided by) far too small?");
  WSSS_CHECK(points_ * corners < std::numeric_limits<int32_t>::max(),
             "permutohedral lattice: ", points_, " points of dimension ", d,
             " are too many (N (d + 1) must stay below 2^31); filter smaller images");
  const float* position = positions.data_ptr<float>();

  // Lifting onto the plane of coordinates summing to zero: column k of the projection is
  // (1, ..., 1, -(k + 1), 0, ..., 0) / sqrt((k + 1)(k + 2)) (k + 1 ones), an orthonormal basis
  // of that plane, times sqrt(2/3) (d + 1), the scale at which the lattice's blur approximates a
  // Gaussian of standard deviation 1 in feature units (Adams et al., section 3.1; densecrf uses
  // the same; measured, the kernel comes out about 10% narrower, docs/crf.md).
  const double spread = std::sqrt(2.0 / 3.0) * static_cast<double>(corners);
  std::vector<float> axisScale(static_cast<size_t>(d));
  for (int64_t k = 0; k < d; ++k) {
    axisScale[k] = static_cast<float>(spread / std::sqrt(static_cast<double>((k + 1) * (k + 2))));
  }

  pointVertex_.resize(static_cast<size_t>(points_ * corners));
  pointWeight_.resize(static_cast<size_t>(points_ * corners));
  // The table starts small and doubles as it fills: sized for the lattice rather than for the
  // points, it stays in cache.
  VertexTable table(d, std::min<int64_t>(points_, 4096));
  std::vector<float> elevated(corners), offset(corners), barycentric(corners + 1);
  std::vector<int32_t> nearest(corners), rank(corners), key(d);
  // The simplex of the previous point: neighbouring pixels often share one, and then need no
  // look-up.
  std::vector<int32_t> previousNearest(corners), previousRank(corners, -1);
  const float invCorners = 1.0f / static_cast<float>(corners);
  for (int64_t i = 0; i < points_; ++i) {
    const float* f = position + i * d;
    // elevated[j] = Σ_{k >= j} c_k - j c_{j-1}, with c_k the scaled coordinate k.
    float tail = 0;
    for (int64_t j = d; j >= 1; --j) {
      const float c = f[j - 1] * axisScale[j - 1];
      elevated[j] = tail - static_cast<float>(j) * c;
      tail += c;
    }
    elevated[0] = tail;

    // The nearest point whose coordinates are all multiples of d + 1, and how far the rounding
    // pushed their sum off zero (in units of d + 1). Halves round down, as in densecrf (either
    // way gives a simplex holding the point).
    int32_t excess = 0;
    for (int64_t j = 0; j < corners; ++j) {
      const float scaled = elevated[j] * invCorners;
      auto step = static_cast<int32_t>(scaled);  // towards zero, then down to the floor
      step -= scaled < static_cast<float>(step) ? 1 : 0;
      step += scaled - static_cast<float>(step) > 0.5f ? 1 : 0;
      nearest[j] = step * static_cast<int32_t>(corners);
      excess += step;
    }
    // Rank of each coordinate by its remainder elevated - nearest, 0 for the largest (ties by
    // index, so the ranks are a permutation).
    for (int64_t j = 0; j < corners; ++j) offset[j] = elevated[j] - static_cast<float>(nearest[j]);
    std::fill(rank.begin(), rank.end(), 0);
    for (int64_t j = 0; j < corners; ++j) {
      for (int64_t k = j + 1; k < corners; ++k) {
        const int32_t below = offset[j] < offset[k] ? 1 : 0;
        rank[j] += below;
        rank[k] += 1 - below;
      }
    }
    // Back onto the plane: a positive excess lowers the coordinates with the smallest
    // remainders by d + 1, a negative one raises those with the largest; the ranks rotate.
    if (excess != 0) {
      for (int64_t j = 0; j < corners; ++j) {
        rank[j] += excess;
        if (rank[j] < 0) {
          rank[j] += static_cast<int32_t>(corners);
          nearest[j] += static_cast<int32_t>(corners);
        } else if (rank[j] > d) {
          rank[j] -= static_cast<int32_t>(corners);
          nearest[j] -= static_cast<int32_t>(corners);
        }
      }
    }
    // Barycentric weights of the enclosing simplex's vertices: differences of the sorted
    // remainders (Adams et al., section 3.1).
    std::fill(barycentric.begin(), barycentric.end(), 0.0f);
    for (int64_t j = 0; j < corners; ++j) {
      offset[j] = (elevated[j] - static_cast<float>(nearest[j])) * invCorners;
      barycentric[d - rank[j]] += offset[j];
      barycentric[d + 1 - rank[j]] -= offset[j];
    }
    barycentric[0] += 1.0f + barycentric[d + 1];

    for (int64_t r = 0; r < corners; ++r) pointWeight_[i * corners + r] = barycentric[r];
    int32_t* vertex = pointVertex_.data() + i * corners;
    if (nearest == previousNearest && rank == previousRank) {
      std::copy(vertex - corners, vertex, vertex);
    } else {
      // Vertex r of the simplex: nearest plus r at the coordinates ranked within the first
      // d + 1 - r, and r - (d + 1) at the others.
      for (int64_t r = 0; r < corners; ++r) {
        for (int64_t j = 0; j < d; ++j) {
          key[j] = nearest[j] +
                   (rank[j] <= d - r ? static_cast<int32_t>(r) : static_cast<int32_t>(r - corners));
        }
        vertex[r] = table.insert(key.data());
      }
    }
    previousNearest.swap(nearest);
    previousRank.swap(rank);
  }
  vertices_ = table.size();
  const int64_t m = vertices_;

  // A lattice with at most one vertex per two points is splatted point by point, each task into
  // a copy of its own; a larger one gathers each vertex's points, so tasks never write the same
  // row without copies as large as the lattice. The gather needs each vertex's (point, weight)
  // pairs: a counting sort of the points' pairs.
  gatherSplat_ = 2 * m > points_;
  if (gatherSplat_) {
    vertexStart_.assign(static_cast<size_t>(m + 1), 0);
    for (const int32_t vertex : pointVertex_) ++vertexStart_[vertex + 1];
    for (int64_t v = 0; v < m; ++v) vertexStart_[v + 1] += vertexStart_[v];
    entryPoint_.resize(pointVertex_.size());
    entryWeight_.resize(pointVertex_.size());
    std::vector<int64_t> next(vertexStart_.begin(), vertexStart_.end() - 1);
    for (int64_t e = 0; e < points_ * corners; ++e) {
      const int64_t slot = next[pointVertex_[e]]++;
      entryPoint_[slot] = static_cast<int32_t>(e / corners);
      entryWeight_[slot] = pointWeight_[e];
    }
  }

  // The blur's view: a vertex's neighbours along lattice axis a are itself ± (d + 1) e_a - 1
  // (every coordinate moves by one the other way, so the sum stays zero); for the last axis
  // only the shared -1 / +1 shows in the stored coordinates.
  neighbours_.resize(static_cast<size_t>(corners * m * 2));
  const std::vector<int32_t>& keys = table.keys();
  const int32_t missing = static_cast<int32_t>(m);
  at::parallel_for(0, m, kRowGrain, [&](int64_t begin, int64_t end) {
    std::vector<int32_t> down(d), up(d);
    for (int64_t v = begin; v < end; ++v) {
      const int32_t* own = keys.data() + v * d;
      for (int64_t axis = 0; axis < corners; ++axis) {
        for (int64_t j = 0; j < d; ++j) {
          down[j] = own[j] - 1;
          up[j] = own[j] + 1;
        }
        if (axis < d) {
          down[axis] += static_cast<int32_t>(corners);
          up[axis] -= static_cast<int32_t>(corners);
        }
        const int32_t first = table.find(down.data());
        const int32_t second = table.find(up.data());
        neighbours_[(axis * m + v) * 2] = first < 0 ? missing : first;
        neighbours_[(axis * m + v) * 2 + 1] = second < 0 ? missing : second;
      }
    }
  });
}

int64_t PermutohedralLattice::splatTasks() const {
  // Copies of the lattice (one per task past the first) never outgrow the points' rows.
  return gatherSplat_ ? 1
                      : std::max<int64_t>(1, std::min(parallelTasks(),
                                                      points_ / std::max<int64_t>(vertices_, 1)));
}

void PermutohedralLattice::splatRows(const float* in, int64_t valueSize, const float* inScale,
                                     float* lattice, float* partials) const {
  if (gatherSplat_) {
    const VertexPoints points{vertexStart_.data(), entryPoint_.data(), entryWeight_.data()};
    at::parallel_for(0, vertices_, kRowGrain, [&](int64_t begin, int64_t end) {
      runBlocks<GatherBlock>(valueSize, points, in, inScale, lattice, valueSize, begin, end);
    });
    return;
  }
  const Simplices simplices{pointVertex_.data(), pointWeight_.data(), dimensions_ + 1};
  const int64_t tasks = splatTasks();
  std::fill(lattice, lattice + vertices_ * valueSize, 0.0f);
  std::fill(partials, partials + (tasks - 1) * vertices_ * valueSize, 0.0f);
  at::parallel_for(0, tasks, 1, [&](int64_t firstTask, int64_t endTask) {
    for (int64_t task = firstTask; task < endTask; ++task) {
      float* target = task == 0 ? lattice : partials + (task - 1) * vertices_ * valueSize;
      runBlocks<ScatterBlock>(valueSize, simplices, in, inScale, target, valueSize,
                              points_ * task / tasks, points_ * (task + 1) / tasks);
    }
  });
  if (tasks > 1) {
    at::parallel_for(0, vertices_, kRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t task = 1; task < tasks; ++task) {
        const float* partial = partials + (task - 1) * vertices_ * valueSize;
        for (int64_t c = begin * valueSize; c < end * valueSize; ++c) lattice[c] += partial[c];
      }
    });
  }
}

const float* PermutohedralLattice::blurRows(float* lattice, float* spare, int64_t valueSize) const {
  // Row M of both buffers is the zero row a missing neighbour reads.
  std::fill(lattice + vertices_ * valueSize, lattice + (vertices_ + 1) * valueSize, 0.0f);
  std::fill(spare + vertices_ * valueSize, spare + (vertices_ + 1) * valueSize, 0.0f);
  float* source = lattice;
  float* target = spare;
  for (int64_t axis = 0; axis <= dimensions_; ++axis) {
    const int32_t* pairs = neighbours_.data() + axis * vertices_ * 2;
    at::parallel_for(0, vertices_, kRowGrain, [&](int64_t begin, int64_t end) {
      runBlocks<BlurBlock>(valueSize, pairs, source, target, valueSize, begin, end);
    });
    std::swap(source, target);
  }
  return source;
}

void PermutohedralLattice::sliceRange(const float* lattice, float* out, int64_t valueSize,
                                      const float* outScale, bool accumulate, int64_t begin,
                                      int64_t end) const {
  const Simplices simplices{pointVertex_.data(), pointWeight_.data(), dimensions_ + 1};
  runBlocks<SliceBlock>(valueSize, simplices, lattice, out, outScale, accumulate, sliceGain(),
                        valueSize, begin, end);
}

void PermutohedralLattice::sliceRows(const float* lattice, float* out, int64_t valueSize,
                                     const float* outScale, bool accumulate) const {
  at::parallel_for(0, points_, kRowGrain, [&](int64_t begin, int64_t end) {
    sliceRange(lattice, out, valueSize, outScale, accumulate, begin, end);
  });
}

float PermutohedralLattice::sliceGain() const {
  // Splat, blur and slice weigh a point sitting on a vertex by 1 + 2^-d (the blur's centre
  // weight: 1, plus the two walks once round all d + 1 axes); dividing by it gives such a point
  // weight 1 on itself, as the Gaussian does (Adams et al.'s "alpha", also densecrf's).
  return 1.0f / (1.0f + std::pow(2.0f, -static_cast<float>(dimensions_)));
}

const float* PermutohedralLattice::splatAndBlur(const float* in, int64_t valueSize,
                                                const float* inScale,
                                                std::vector<float>& scratch) const {
  WSSS_CHECK(valueSize >= 4 && valueSize % 4 == 0,
             "permutohedral lattice: rows must hold a multiple of 4 values (pad with zero "
             "columns), got ",
             valueSize);
  const int64_t rows = (vertices_ + 1) * valueSize;
  const int64_t partialRows = (splatTasks() - 1) * vertices_ * valueSize;
  if (static_cast<int64_t>(scratch.size()) < 2 * rows + partialRows) {
    scratch.resize(static_cast<size_t>(2 * rows + partialRows));
  }
  float* lattice = scratch.data();
  splatRows(in, valueSize, inScale, lattice, lattice + 2 * rows);
  return blurRows(lattice, lattice + rows, valueSize);
}

void PermutohedralLattice::filterRows(const float* in, float* out, int64_t valueSize,
                                      const float* inScale, const float* outScale, bool accumulate,
                                      std::vector<float>& scratch) const {
  sliceRows(splatAndBlur(in, valueSize, inScale, scratch), out, valueSize, outScale, accumulate);
}

torch::Tensor PermutohedralLattice::splat(const torch::Tensor& values) const {
  const torch::Tensor in = paddedRows(checkedRows(values, points_, "splat values"));
  const int64_t valueSize = in.size(1);
  std::vector<float> buffers(static_cast<size_t>(vertices_ * valueSize * splatTasks()));
  splatRows(in.data_ptr<float>(), valueSize, nullptr, buffers.data(),
            buffers.data() + vertices_ * valueSize);
  return torch::from_blob(buffers.data(), {vertices_, valueSize}, torch::kFloat32)
      .narrow(1, 0, values.size(1))
      .clone();
}

torch::Tensor PermutohedralLattice::blur(const torch::Tensor& latticeValues) const {
  const torch::Tensor in = paddedRows(checkedRows(latticeValues, vertices_, "lattice values"));
  const int64_t valueSize = in.size(1);
  // Both buffers need the zero row past the last vertex.
  std::vector<float> buffers(static_cast<size_t>(2 * (vertices_ + 1) * valueSize));
  std::copy(in.data_ptr<float>(), in.data_ptr<float>() + vertices_ * valueSize, buffers.begin());
  const float* blurred =
      blurRows(buffers.data(), buffers.data() + (vertices_ + 1) * valueSize, valueSize);
  return torch::from_blob(const_cast<float*>(blurred), {vertices_, valueSize}, torch::kFloat32)
      .narrow(1, 0, latticeValues.size(1))
      .clone();
}

torch::Tensor PermutohedralLattice::slice(const torch::Tensor& latticeValues) const {
  const torch::Tensor in = paddedRows(checkedRows(latticeValues, vertices_, "lattice values"));
  torch::Tensor out = torch::empty({points_, in.size(1)}, torch::kFloat32);
  sliceRows(in.data_ptr<float>(), out.data_ptr<float>(), in.size(1), nullptr, false);
  return out.narrow(1, 0, latticeValues.size(1)).contiguous();
}

torch::Tensor PermutohedralLattice::filter(const torch::Tensor& values) const {
  const torch::Tensor in = paddedRows(checkedRows(values, points_, "values"));
  torch::Tensor out = torch::empty_like(in);
  std::vector<float> scratch;
  filterRows(in.data_ptr<float>(), out.data_ptr<float>(), in.size(1), nullptr, nullptr, false,
             scratch);
  return out.narrow(1, 0, values.size(1)).contiguous();
}

NormalisedGaussianFilter::NormalisedGaussianFilter(const torch::Tensor& features)
    : lattice_(features) {
  // The lattice filters rows of a multiple of four values: four columns of ones, alike.
  const int64_t n = lattice_.points();
  std::vector<float> ones(static_cast<size_t>(4 * n), 1.0f), sums(static_cast<size_t>(4 * n));
  std::vector<float> scratch;
  lattice_.filterRows(ones.data(), sums.data(), 4, nullptr, nullptr, false, scratch);
  normaliser_.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) normaliser_[i] = 1.0f / std::sqrt(sums[4 * i] + 1e-20f);
}

torch::Tensor NormalisedGaussianFilter::apply(const torch::Tensor& values) const {
  const torch::Tensor in = paddedRows(checkedRows(values, lattice_.points(), "values"));
  torch::Tensor out = torch::empty_like(in);
  std::vector<float> scratch;
  lattice_.filterRows(in.data_ptr<float>(), out.data_ptr<float>(), in.size(1), normaliser_.data(),
                      normaliser_.data(), false, scratch);
  return out.narrow(1, 0, values.size(1)).contiguous();
}

}  // namespace wsss
