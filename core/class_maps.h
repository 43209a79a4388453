#pragma once
// Tensor operations on per-class maps that several methods share.
#include <torch/types.h>

namespace wsss {

// Â of METHODS: relu(maps) times the image labels, each class divided by its spatial maximum
// + 1e-5, so present classes lie in [0, 1) and absent ones are 0.
// maps: B x C x h x w, labels: B x C in {0, 1}. Returns float32.
torch::Tensor normaliseClassMaps(const torch::Tensor& maps, const torch::Tensor& labels);

// B x C x 1 x 1 float32: the image labels (B x C) as a mask over class maps.
torch::Tensor labelMask(const torch::Tensor& labels);

// Each map of B x C x h x w non-negative maps divided by its spatial maximum + 1e-5: the peak
// normalisation of Â alone (a map that is 0 everywhere stays 0).
torch::Tensor divideByPeak(const torch::Tensor& maps);

// The two-threshold rule on B x C x H x W maps in [0, 1]: B x H x W int64, 1 + argmax_c where
// max_c reaches highThreshold, 0 (background) below lowThreshold, 255 (ignored) in between.
torch::Tensor thresholdLabels(const torch::Tensor& scores, double highThreshold,
                              double lowThreshold);

// The two-threshold rule with a margin and optional background evidence (METHODS §5): the
// candidates are the C maps and, where `background` (B x 1 x H x W) is given, background as
// class 0. A pixel takes the top candidate where it reaches highThreshold and beats the
// runner-up by `margin`; background where every class map is below lowThreshold, or where the
// background candidate is the top one by `margin`; 255 elsewhere. Without background and with
// margin 0 it is thresholdLabels.
torch::Tensor marginLabels(const torch::Tensor& scores, const torch::Tensor& background,
                           double highThreshold, double lowThreshold, double margin);

// A side of `side` pixels scaled by `scale`, rounded, at least 1: the size of an image scaled
// for multi-scale inference or SupportNet's scales.
int64_t scaledSide(int64_t side, double scale);

// Bilinear resize of B x C x h x w maps to height x width (align_corners = false). With
// deterministic algorithms on (train.deterministic) and a CUDA tensor that needs a gradient,
// it is resizeByMatrices, since interpolate's CUDA backward adds with atomics.
torch::Tensor resizeMaps(const torch::Tensor& maps, int64_t height, int64_t width);

// The same bilinear resize as two matrix products, rows then columns, in float32 outside
// autocast: A_h · maps · A_wᵀ, each row of A two weights. Its backward is two more products,
// which cuBLAS computes deterministically.
torch::Tensor resizeByMatrices(const torch::Tensor& maps, int64_t height, int64_t width);

}  // namespace wsss
