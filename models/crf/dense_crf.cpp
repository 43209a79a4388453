#include "models/crf/dense_crf.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>

#include "core/config/option_table.h"
#include "core/error.h"
#include "models/crf/float_vectors.h"
#include "models/crf/permutohedral_lattice.h"

namespace wsss {
namespace {

// pydensecrf's unary_from_softmax clips probabilities to [1e-5, 1] before the log.
constexpr double kProbabilityFloor = 1e-5;
// exactMeanField holds N x N float64 matrices: 4096 pixels make 128 MiB each.
constexpr int64_t kExactMaxPixels = 4096;
constexpr int64_t kUnknownLabel = 255;
constexpr int64_t kPixelGrain = 1024;

// Rows of labels padded to a multiple of 8, so every row loop runs whole vectors (of 4 or 8); the
// padding labels carry Q = 0 and stay out of every softmax.
int64_t paddedLabels(int64_t labels) { return (labels + 7) / 8 * 8; }

// Empty when `values` is a valid compatibility matrix (empty, or square and symmetric), else
// what is wrong with it.
std::string compatibilityProblem(const std::vector<double>& values) {
  if (values.empty()) return {};
  const auto side =
      static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(values.size()))));
  if (side * side != static_cast<int64_t>(values.size())) {
    return "must hold L x L values (L the number of labels), row-major; got " +
           std::to_string(values.size()) + " values";
  }
  for (int64_t i = 0; i < side; ++i) {
    for (int64_t j = 0; j < side; ++j) {
      const double a = values[i * side + j], b = values[j * side + i];
      if (!std::isfinite(a)) return "must be finite";
      // A pair of pixels is unordered: only (μ + μᵀ) / 2 is an energy (densecrf symmetrises).
      if (std::abs(a - b) > 1e-9 * std::max({1.0, std::abs(a), std::abs(b)})) {
        return "must be symmetric, but entry (" + std::to_string(i) + ", " + std::to_string(j) +
               ") differs from (" + std::to_string(j) + ", " + std::to_string(i) +
               "); give (μ + μᵀ) / 2";
      }
    }
  }
  return {};
}

void checkOptions(const DenseCrfOptions& options, int64_t labels) {
  WSSS_CHECK(options.iterations >= 0, "dense CRF: iterations must be >= 0, got ",
             options.iterations);
  WSSS_CHECK(options.posXyStd > 0 && options.biXyStd > 0 && options.biRgbStd > 0,
             "dense CRF: the standard deviations must be > 0, got pos_xy_std ", options.posXyStd,
             ", bi_xy_std ", options.biXyStd, ", bi_rgb_std ", options.biRgbStd);
  WSSS_CHECK(options.posWeight >= 0 && options.biWeight >= 0,
             "dense CRF: the kernel weights must be >= 0 (0 switches a kernel off), got "
             "pos_weight ",
             options.posWeight, ", bi_weight ", options.biWeight);
  const std::string problem = compatibilityProblem(options.compatibility);
  WSSS_CHECK(problem.empty(), "dense CRF: compatibility ", problem);
  WSSS_CHECK(options.compatibility.empty() ||
                 static_cast<int64_t>(options.compatibility.size()) == labels * labels,
             "dense CRF: compatibility holds ", options.compatibility.size(),
             " values but the maps have ", labels, " labels; give ", labels * labels,
             " values (row-major), or none for Potts");
}

// L x H x W floating point and finite, as float32 on the CPU.
torch::Tensor checkedUnary(const torch::Tensor& unary) {
  WSSS_CHECK(unary.defined() && unary.dim() == 3 && unary.size(0) >= 1 && unary.size(1) >= 1 &&
                 unary.size(2) >= 1,
             "dense CRF: the unary must be L x H x W, got ",
             unary.defined() ? unary.sizes() : torch::IntArrayRef{});
  WSSS_CHECK(unary.is_floating_point(), "dense CRF: the unary must be floating point, got ",
             unary.scalar_type());
  torch::Tensor energy = unary.to(torch::kCPU, torch::kFloat32).contiguous();
  // One pass, no copy: NaN and infinities reach the min or the max.
  const auto [lowest, highest] = torch::aminmax(energy);
  WSSS_CHECK(std::isfinite(lowest.item<float>()) && std::isfinite(highest.item<float>()),
             "dense CRF: the unary holds NaN or infinity; clamp probabilities away from 0 "
             "before taking -log");
  return energy;
}

// H x W x 3 uint8 of the maps' size, contiguous on the CPU.
torch::Tensor checkedImage(const torch::Tensor& image, int64_t height, int64_t width) {
  WSSS_CHECK(image.defined() && image.dim() == 3 && image.size(2) == 3,
             "dense CRF: the image must be H x W x 3 RGB (channels last), got ",
             image.defined() ? image.sizes() : torch::IntArrayRef{});
  WSSS_CHECK(image.scalar_type() == torch::kUInt8,
             "dense CRF: the image must be uint8 RGB in 0..255 (σ_rgb is in those levels), got ",
             image.scalar_type(), "; convert with (x * 255).round().clamp(0, 255).to(kUInt8)");
  WSSS_CHECK(image.size(0) == height && image.size(1) == width, "dense CRF: the image is ",
             image.size(0), " x ", image.size(1), " but the maps are ", height, " x ", width,
             "; resize the maps to the image first");
  return image.to(torch::kCPU).contiguous();
}

// N x 2: (column, row) / σ of every pixel, row-major, as densecrf's addPairwiseGaussian.
torch::Tensor positionFeatures(int64_t height, int64_t width, double xyStd) {
  const float scale = static_cast<float>(xyStd);
  const torch::Tensor column = torch::arange(width, torch::kFloat32).div(scale);
  const torch::Tensor row = torch::arange(height, torch::kFloat32).div(scale);
  return torch::stack({column.view({1, -1}).expand({height, width}),
                       row.view({-1, 1}).expand({height, width})},
                      -1)
      .view({height * width, 2});
}

// N x 5: (column, row) / σ_xy and (r, g, b) / σ_rgb, as densecrf's addPairwiseBilateral.
torch::Tensor appearanceFeatures(const torch::Tensor& image, double xyStd, double rgbStd) {
  const int64_t height = image.size(0), width = image.size(1);
  const torch::Tensor colour =
      image.to(torch::kFloat32).div(static_cast<float>(rgbStd)).view({height * width, 3});
  return torch::cat({positionFeatures(height, width, xyStd), colour}, 1);
}

// One pairwise kernel: its normalised filter and, per pixel, w D^{-1/2}, the factor its
// filtered rows are added with.
struct PairwiseKernel {
  NormalisedGaussianFilter filter;
  std::vector<float> outScale;
  PairwiseKernel(const torch::Tensor& features, double weight) : filter(features) {
    outScale = filter.normaliser();
    for (float& value : outScale) value *= static_cast<float>(weight);
  }
};

// The exponentials vectorise through crf::Float4 / Float8 (std::exp does not).
using namespace crf;

// x = e^x for x <= 0 (inputs below -87 give e^-87, about 1.6e-38): x = n ln 2 + r with
// |r| <= ln 2 / 2, e^r by Cephes' expf polynomial (relative error about 1e-7), 2^n written into
// the exponent bits.
template <class Vec, class Ints>
WSSS_ALWAYS_INLINE void expNonPositive(Vec& x) {
  const Vec lowest = Vec{} - 87.0f;
  const Ints below = x < lowest;
  x = reinterpret_cast<Vec>((reinterpret_cast<Ints>(lowest) & below) |
                            (reinterpret_cast<Ints>(x) & ~below));
  // Round to nearest by adding and subtracting 1.5 * 2^23.
  const Vec n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const Vec r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  Vec p = r * 1.9875691500e-4f + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const Ints exponent = (__builtin_convertvector(n, Ints) + 127) << 23;
  x = p * reinterpret_cast<Vec>(exponent);
}

// Rows of `stride` values (a multiple of 8) of which the first `labels` are labels.
struct LabelColumns {
  int64_t stride;
  const float* keep;  // 1 for a label, 0 for padding
  const float* push;  // 0 for a label, -1e30 for padding
};

// q_i = softmax(logit_i - energy_i) for rows [begin, end), the padding left at 0; `logit` null
// for none, else it may be `q` itself (each row is read before it is written).
template <class Vec, class Ints>
WSSS_ALWAYS_INLINE void softmaxRowsWith(const LabelColumns& columns, const float* logit,
                                        const float* energy, float* q, int64_t begin, int64_t end) {
  constexpr int64_t lanes = static_cast<int64_t>(sizeof(Vec) / sizeof(float));
  const int64_t stride = columns.stride;
  for (int64_t i = begin; i < end; ++i) {
    const float* u = energy + i * stride;
    float* row = q + i * stride;
    Vec peak = Vec{} - 1e30f;
    for (int64_t c = 0; c < stride; c += lanes) {
      // Padding logits sit far below the rest, so they neither win the max nor count.
      Vec value, unary, more;
      loadVector(value, columns.push + c);
      loadVector(unary, u + c);
      value -= unary;
      if (logit) {
        loadVector(more, logit + i * stride + c);
        value += more;
      }
      storeVector(row + c, value);
      const Ints higher = value > peak;
      peak = reinterpret_cast<Vec>((reinterpret_cast<Ints>(value) & higher) |
                                   (reinterpret_cast<Ints>(peak) & ~higher));
    }
    float top = peak[0];
    for (int64_t k = 1; k < lanes; ++k) top = std::max(top, peak[k]);
    Vec total = {};
    for (int64_t c = 0; c < stride; c += lanes) {
      Vec value, keep;
      loadVector(value, row + c);
      loadVector(keep, columns.keep + c);
      value -= top;
      expNonPositive<Vec, Ints>(value);
      value *= keep;
      storeVector(row + c, value);
      total += value;
    }
    float sum = 0;
    for (int64_t k = 0; k < lanes; ++k) sum += total[k];
    const float inverse = 1.0f / sum;
    for (int64_t c = 0; c < stride; c += lanes) {
      Vec value;
      loadVector(value, row + c);
      storeVector(row + c, Vec(value * inverse));
    }
  }
}

void softmaxRowsNarrow(const LabelColumns& columns, const float* logit, const float* energy,
                       float* q, int64_t begin, int64_t end) {
  softmaxRowsWith<Float4, Int4>(columns, logit, energy, q, begin, end);
}

#if WSSS_CRF_WIDE
__attribute__((target("avx2,fma"))) void softmaxRowsWide(const LabelColumns& columns,
                                                         const float* logit, const float* energy,
                                                         float* q, int64_t begin, int64_t end) {
  softmaxRowsWith<Float8, Int8>(columns, logit, energy, q, begin, end);
}
#endif

// A softmax over the first `labels` of rows of `stride` values; the padding stays 0.
class LabelRows {
 public:
  LabelRows(int64_t labels, int64_t stride)
      : keep_(static_cast<size_t>(stride), 0.0f),
        push_(static_cast<size_t>(stride), -1e30f),
        columns_{stride, keep_.data(), push_.data()} {
    std::fill(keep_.begin(), keep_.begin() + labels, 1.0f);
    std::fill(push_.begin(), push_.begin() + labels, 0.0f);
  }

  // q_i = softmax(logit_i - energy_i) for rows [begin, end); `logit` null for none, else it
  // may be `q` itself.
  void softmax(const float* logit, const float* energy, float* q, int64_t begin,
               int64_t end) const {
#if WSSS_CRF_WIDE
    static const bool wide = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (wide) {
      softmaxRowsWide(columns_, logit, energy, q, begin, end);
      return;
    }
#endif
    softmaxRowsNarrow(columns_, logit, energy, q, begin, end);
  }

 private:
  std::vector<float> keep_;
  std::vector<float> push_;
  LabelColumns columns_;
};

// Mean field on one image: `energy` L x H x W float32 and `image` H x W x 3 uint8, both checked,
// contiguous, on the CPU; Q goes to `out`, L x H x W floats.
void meanFieldChecked(const torch::Tensor& energy, const torch::Tensor& image,
                      const DenseCrfOptions& options, float* out) {
  const int64_t labels = energy.size(0), height = energy.size(1), width = energy.size(2);
  const int64_t pixels = height * width;
  const int64_t stride = paddedLabels(labels);
  const LabelRows rows(labels, stride);

  // Pixel-major rows, as the lattice filters them.
  std::vector<float> unaryRows(static_cast<size_t>(pixels * stride), 0.0f);
  std::vector<float> q(static_cast<size_t>(pixels * stride));
  const float* source = energy.data_ptr<float>();
  at::parallel_for(0, pixels, kPixelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      for (int64_t l = 0; l < labels; ++l) unaryRows[i * stride + l] = source[l * pixels + i];
    }
    rows.softmax(nullptr, unaryRows.data(), q.data(), begin, end);
  });

  // The kernels' features and weights; their lattices are built side by side.
  std::vector<std::pair<torch::Tensor, double>> kernelFeatures;
  if (options.iterations > 0) {
    if (options.posWeight > 0) {
      kernelFeatures.emplace_back(positionFeatures(height, width, options.posXyStd),
                                  options.posWeight);
    }
    if (options.biWeight > 0) {
      kernelFeatures.emplace_back(appearanceFeatures(image, options.biXyStd, options.biRgbStd),
                                  options.biWeight);
    }
  }
  std::vector<std::optional<PairwiseKernel>> built(kernelFeatures.size());
  at::parallel_for(0, static_cast<int64_t>(built.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      built[k].emplace(kernelFeatures[k].first, kernelFeatures[k].second);
    }
  });
  std::vector<PairwiseKernel> kernels;
  for (auto& kernel : built) kernels.push_back(std::move(*kernel));
  const bool potts = options.compatibility.empty();
  const std::vector<float> mu(options.compatibility.begin(), options.compatibility.end());
  std::vector<float> message(potts ? 0 : static_cast<size_t>(pixels * stride));
  std::vector<std::vector<float>> scratch(kernels.size());
  std::vector<const float*> blurred(kernels.size());
  for (int64_t step = 0; step < options.iterations && !kernels.empty(); ++step) {
    for (size_t k = 0; k < kernels.size(); ++k) {
      blurred[k] = kernels[k].filter.lattice().splatAndBlur(
          q.data(), stride, kernels[k].filter.normaliser().data(), scratch[k]);
    }
    // Once every kernel has splatted Q, its rows are free: a chunk of pixels small enough to
    // stay in cache gets its message Σ_m w_m K̃_m Q there (or, for a general μ, in `message`),
    // then its softmax, so each iteration passes over the pixels' rows once.
    at::parallel_for(0, pixels, kPixelGrain, [&](int64_t begin, int64_t end) {
      constexpr int64_t kChunk = 64;
      for (int64_t first = begin; first < end; first += kChunk) {
        const int64_t last = std::min(end, first + kChunk);
        float* target = potts ? q.data() : message.data();
        for (size_t k = 0; k < kernels.size(); ++k) {
          kernels[k].filter.lattice().sliceRange(blurred[k], target, stride,
                                                 kernels[k].outScale.data(), k > 0, first, last);
        }
        // Potts: -Σ_{l' != l} message(l') is message(l) less a per-pixel constant, which the
        // softmax drops; any other μ gives -Σ_l' μ(l, l') message(l').
        if (!potts) {
          for (int64_t i = first; i < last; ++i) {
            const float* m = message.data() + i * stride;
            float* row = q.data() + i * stride;
            for (int64_t l = 0; l < labels; ++l) {
              float sum = 0;
              for (int64_t k = 0; k < labels; ++k) sum += mu[l * labels + k] * m[k];
              row[l] = -sum;
            }
          }
        }
        rows.softmax(q.data(), unaryRows.data(), q.data(), first, last);
      }
    });
  }

  at::parallel_for(0, pixels, kPixelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      for (int64_t l = 0; l < labels; ++l) out[l * pixels + i] = q[i * stride + l];
    }
  });
}

// -log of probabilities clamped to [1e-5, 1].
torch::Tensor unaryFromProbabilities(const torch::Tensor& probabilities) {
  WSSS_CHECK(probabilities.is_floating_point(),
             "dense CRF: probabilities must be floating point (a softmax output), got ",
             probabilities.scalar_type());
  return probabilities.to(torch::kCPU, torch::kFloat32).clamp(kProbabilityFloor, 1.0).log_().neg_();
}

}  // namespace

void DenseCrfOptions::describe(OptionTable& table) {
  table.field("iterations", iterations, "mean-field updates (0: Q is the softmax of -unary)")
      .atLeast(0);
  table
      .field("pos_xy_std", posXyStd,
             "smoothness kernel: standard deviation of the pixel position, in pixels")
      .positive();
  table.field("pos_weight", posWeight, "smoothness kernel: weight (0 switches it off)").atLeast(0);
  table
      .field("bi_xy_std", biXyStd,
             "appearance kernel: standard deviation of the pixel position, in pixels")
      .positive();
  table
      .field("bi_rgb_std", biRgbStd,
             "appearance kernel: standard deviation of the colour, in 0-255 levels")
      .positive();
  table.field("bi_weight", biWeight, "appearance kernel: weight (0 switches it off)").atLeast(0);
  table
      .field("gt_prob", gtProb,
             "label unary: probability of a known pixel's own label (the rest is shared by the "
             "others; unknown pixels, 255, are uniform)")
      .rule([this] {
        return gtProb > 0 && gtProb < 1 ? std::string() : std::string("must be in (0, 1)");
      });
  table
      .field("compatibility", compatibility,
             "label compatibility μ as L x L values, row-major and symmetric; empty for Potts "
             "(1 between different labels, 0 on the diagonal)")
      .rule([this] { return compatibilityProblem(compatibility); });
}

torch::Tensor meanField(const torch::Tensor& unary, const torch::Tensor& image,
                        const DenseCrfOptions& options) {
  torch::NoGradGuard noGrad;
  const torch::Tensor energy = checkedUnary(unary);
  checkOptions(options, energy.size(0));
  const torch::Tensor rgb = checkedImage(image, energy.size(1), energy.size(2));
  torch::Tensor q = torch::empty(energy.sizes(), torch::kFloat32);
  meanFieldChecked(energy, rgb, options, q.data_ptr<float>());
  return q.to(unary.device());
}

torch::Tensor denseCrf(const torch::Tensor& probabilities, const torch::Tensor& image,
                       const DenseCrfOptions& options) {
  torch::NoGradGuard noGrad;
  WSSS_CHECK(probabilities.defined() && probabilities.dim() == 3,
             "dense CRF: probabilities must be L x H x W, got ",
             probabilities.defined() ? probabilities.sizes() : torch::IntArrayRef{},
             " (denseCrfBatch takes B x L x H x W)");
  return meanField(unaryFromProbabilities(probabilities), image, options)
      .to(probabilities.device());
}

torch::Tensor denseCrfBatch(const torch::Tensor& probabilities, const torch::Tensor& images,
                            const DenseCrfOptions& options) {
  torch::NoGradGuard noGrad;
  WSSS_CHECK(probabilities.defined() && probabilities.dim() == 4,
             "dense CRF: batched probabilities must be B x L x H x W, got ",
             probabilities.defined() ? probabilities.sizes() : torch::IntArrayRef{});
  WSSS_CHECK(images.defined() && images.dim() == 4 && images.size(0) == probabilities.size(0),
             "dense CRF: batched images must be B x H x W x 3 with B = ", probabilities.size(0),
             " (the probabilities' batch), got ",
             images.defined() ? images.sizes() : torch::IntArrayRef{});
  const int64_t batch = probabilities.size(0);
  // Every input is checked before any work starts, so no error leaves from a worker thread.
  const torch::Tensor energy = unaryFromProbabilities(probabilities).contiguous();
  std::vector<torch::Tensor> unaries, rgbs;
  for (int64_t b = 0; b < batch; ++b) {
    unaries.push_back(checkedUnary(energy[b]));
    rgbs.push_back(checkedImage(images[b], energy.size(2), energy.size(3)));
  }
  checkOptions(options, energy.size(1));
  torch::Tensor out = torch::empty(energy.sizes(), torch::kFloat32);
  float* const first = out.data_ptr<float>();
  const int64_t imageSize = energy[0].numel();
  const auto run = [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      meanFieldChecked(unaries[b], rgbs[b], options, first + b * imageSize);
    }
  };
  // With fewer images than threads, splitting each image's work keeps every thread busy.
  if (batch >= at::get_num_threads()) {
    at::parallel_for(0, batch, 1, run);
  } else {
    run(0, batch);
  }
  return out.to(probabilities.device());
}

torch::Tensor labelUnary(const torch::Tensor& labels, int64_t numLabels, double gtProb) {
  WSSS_CHECK(labels.defined() && labels.dim() == 2, "label unary: labels must be H x W, got ",
             labels.defined() ? labels.sizes() : torch::IntArrayRef{});
  WSSS_CHECK(labels.scalar_type() == torch::kInt64, "label unary: labels must be int64, got ",
             labels.scalar_type());
  WSSS_CHECK(numLabels >= 2 && numLabels < kUnknownLabel,
             "label unary: the number of labels must be in [2, 254], got ", numLabels);
  WSSS_CHECK(gtProb > 0 && gtProb < 1, "label unary: gt_prob must be in (0, 1), got ", gtProb);
  const torch::Tensor map = labels.to(torch::kCPU);
  const torch::Tensor unknown = map.eq(kUnknownLabel);
  const torch::Tensor outside = (map.lt(0) | map.ge(numLabels)) & unknown.logical_not();
  WSSS_CHECK(!outside.any().item<bool>(), "label unary: labels must be in [0, ", numLabels, ") or ",
             kUnknownLabel, " for unknown; found ", map.masked_select(outside)[0].item<int64_t>());
  const auto energyOf = [](double p) { return static_cast<float>(-std::log(p)); };
  const torch::Tensor classes = torch::arange(numLabels, torch::kInt64).view({-1, 1, 1});
  torch::Tensor unary =
      torch::where(classes.eq(map.unsqueeze(0)), torch::full({}, energyOf(gtProb)),
                   torch::full({}, energyOf((1.0 - gtProb) / static_cast<double>(numLabels - 1))));
  unary = torch::where(unknown.unsqueeze(0),
                       torch::full({}, energyOf(1.0 / static_cast<double>(numLabels))), unary);
  return unary.to(torch::kFloat32).contiguous().to(labels.device());
}

torch::Tensor exactMeanField(const torch::Tensor& unary, const torch::Tensor& image,
                             const DenseCrfOptions& options) {
  torch::NoGradGuard noGrad;
  const torch::Tensor energy = checkedUnary(unary);
  const int64_t labels = energy.size(0), height = energy.size(1), width = energy.size(2);
  const int64_t pixels = height * width;
  WSSS_CHECK(pixels <= kExactMaxPixels, "exact mean field: ", height, " x ", width, " = ", pixels,
             " pixels; it sums over every pair, so it takes at most ", kExactMaxPixels,
             " (use meanField for real images)");
  checkOptions(options, labels);
  const torch::Tensor rgb = checkedImage(image, height, width);

  // Σ_m w_m D_m^{-1/2} K_m D_m^{-1/2}, each K_m summed over every pair, the diagonal included
  // as the lattice includes it.
  const auto normalisedKernel = [&](const torch::Tensor& features) {
    const torch::Tensor f = features.to(torch::kFloat64);
    torch::Tensor squared = torch::zeros({pixels, pixels}, torch::kFloat64);
    for (int64_t k = 0; k < f.size(1); ++k) {
      const torch::Tensor axis = f.select(1, k);
      squared += (axis.unsqueeze(1) - axis.unsqueeze(0)).square();
    }
    const torch::Tensor kernel = (-0.5 * squared).exp();
    const torch::Tensor scale = kernel.sum(1).rsqrt();
    return scale.unsqueeze(1) * kernel * scale.unsqueeze(0);
  };
  torch::Tensor pairwise = torch::zeros({pixels, pixels}, torch::kFloat64);
  if (options.posWeight > 0) {
    pairwise +=
        options.posWeight * normalisedKernel(positionFeatures(height, width, options.posXyStd));
  }
  if (options.biWeight > 0) {
    pairwise += options.biWeight *
                normalisedKernel(appearanceFeatures(rgb, options.biXyStd, options.biRgbStd));
  }
  std::optional<torch::Tensor> mu;
  if (!options.compatibility.empty()) {
    mu = torch::tensor(options.compatibility, torch::kFloat64).view({labels, labels});
  }

  const torch::Tensor u = energy.to(torch::kFloat64).view({labels, pixels}).t();  // N x L
  torch::Tensor q = torch::softmax(-u, 1);
  for (int64_t step = 0; step < options.iterations; ++step) {
    const torch::Tensor message = pairwise.matmul(q);
    q = torch::softmax(mu ? -u - message.matmul(mu->t()) : -u + message, 1);
  }
  return q.t().reshape({labels, height, width}).to(torch::kFloat32).to(unary.device());
}

}  // namespace wsss
