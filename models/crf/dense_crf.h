#pragma once
// The fully connected CRF with Gaussian edge potentials (Krähenbühl and Koltun, "Efficient
// Inference in Fully Connected CRFs with Gaussian Edge Potentials", NIPS 2011), over an image's
// pixels: E(x) = Σ_i ψ_u(x_i) + Σ_{i<j} μ(x_i, x_j) k(f_i, f_j) with
//   k = w_pos exp(-|p_i - p_j|² / 2 σ_pos²)                               (smoothness)
//     + w_bi  exp(-|p_i - p_j|² / 2 σ_bi_xy² - |I_i - I_j|² / 2 σ_bi_rgb²)  (appearance),
// p the pixel's (column, row) and I its RGB. Mean field approximates the posterior by a
// factorised Q; every update needs, per kernel, Σ_j k(f_i, f_j) Q_j(l) for every pixel and label,
// which the permutohedral lattice filters in linear time (permutohedral_lattice.h). As in
// densecrf (and pydensecrf, its Python binding, which the reference script compares against),
// each kernel is normalised symmetrically (NormalisedGaussianFilter), so its sum includes the
// pixel itself, and the update is Q_i(l) ∝ exp(-ψ_u(l) - Σ_m w_m Σ_l' μ(l, l') (K̃_m Q)_i(l')).
// Runs on the CPU in float32, parallel over images and, within one image, over pixels and
// lattice vertices with at::parallel_for (so torch::set_num_threads bounds it); no gradient.
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace wsss {

class OptionTable;

// The `crf:` section. The defaults are those of `crf_inference` (pydensecrf, 10 iterations) in
// AFA's utils/dcrf.py and PSA's tool/imutils.py: smoothness σ 3 weight 3, appearance σ_xy 80
// σ_rgb 13 weight 10; gt_prob 0.7 is AFA's `crf_inference_label`. The VOC evaluation scripts of
// AFA and ToCo pass other values (docs/crf.md lists them).
struct DenseCrfOptions {
  int64_t iterations = 10;
  double posXyStd = 3;   // smoothness kernel: σ of the pixel position
  double posWeight = 3;  // smoothness kernel: w
  double biXyStd = 80;   // appearance kernel: σ of the pixel position
  double biRgbStd = 13;  // appearance kernel: σ of the colour (0-255 per channel)
  double biWeight = 10;  // appearance kernel: w
  double gtProb = 0.7;   // labelUnary: the probability given to a pixel's own label
  // μ: empty for Potts (μ(l, l') = 1 where l != l', 0 on the diagonal); else an L x L
  // symmetric matrix, row-major, L the number of labels.
  std::vector<double> compatibility;
  void describe(OptionTable& table);
};

// The CRF on one image: `probabilities` L x H x W (a softmax output; floating point, clamped
// to [1e-5, 1] before the log, as pydensecrf's unary_from_softmax does) and `image` H x W x 3
// uint8 RGB. Returns Q after `iterations` mean-field updates: L x H x W float32, summing to 1
// over labels, on the probabilities' device.
torch::Tensor denseCrf(const torch::Tensor& probabilities, const torch::Tensor& image,
                       const DenseCrfOptions& options);

// The same on B images: `probabilities` B x L x H x W, `images` B x H x W x 3 uint8. Images run
// in parallel when there are at least as many as threads, otherwise one after another with
// each image's work split across the threads.
torch::Tensor denseCrfBatch(const torch::Tensor& probabilities, const torch::Tensor& images,
                            const DenseCrfOptions& options);

// The CRF from a unary energy ψ_u, L x H x W (finite): what denseCrf runs on -log p, and what
// labelUnary feeds.
torch::Tensor meanField(const torch::Tensor& unary, const torch::Tensor& image,
                        const DenseCrfOptions& options);

// The unary energy of a label map, pydensecrf's unary_from_labels: `labels` H x W int64, each
// in [0, numLabels) or 255 for unknown. A known pixel gives its label probability `gtProb` and
// shares 1 - gtProb equally among the other labels; an unknown pixel is uniform (1 / numLabels
// each), so only the pairwise terms decide it. Returns -log of those probabilities,
// numLabels x H x W float32. (pydensecrf spells "unknown" as label 0 with zero_unsure=True;
// that call on labels + 1, with 255 mapped to 0, gives the same energies.)
torch::Tensor labelUnary(const torch::Tensor& labels, int64_t numLabels, double gtProb);

// Mean field with the kernels summed exactly over every pair of pixels (no lattice), in
// float64, for testing meanField on small images: at most 4096 pixels. Same inputs and output
// as meanField.
torch::Tensor exactMeanField(const torch::Tensor& unary, const torch::Tensor& image,
                             const DenseCrfOptions& options);

}  // namespace wsss
