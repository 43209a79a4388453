#pragma once
// The dense CRF (models/crf/dense_crf.h) where the pipeline uses it: over the segmentation
// head's probabilities (`eval.crf`: evaluation, `wsss predict`, TensorBoard's images) and over
// finished pseudo-labels (`pseudo.crf`: `wsss pseudo`). The CRF's appearance kernel reads the
// image's colours, which the loader has normalised; they are taken back to 0-255 here.
#include <torch/types.h>

#include <cstdint>

namespace wsss {

struct AugmentOptions;
struct DenseCrfOptions;

// B x 3 x H x W images normalised with `augment`'s mean and std -> B x H x W x 3 uint8 RGB on
// the CPU (rounded; the original pixels up to the rounding of the normalisation).
torch::Tensor imagesForCrf(const torch::Tensor& images, const AugmentOptions& augment);

// B x K x H x W probabilities -> the CRF's Q, same shape, on the probabilities' device.
torch::Tensor crfProbabilities(const torch::Tensor& probabilities, const torch::Tensor& images,
                               const AugmentOptions& augment, const DenseCrfOptions& crf);

// B x H x W labels in [0, numLabels) or 255 (unknown) -> B x H x W int64 labels from the CRF
// with the label unary (crf.gt_prob): unknown pixels take the label the pairwise terms give.
torch::Tensor crfLabels(const torch::Tensor& labels, const torch::Tensor& images,
                        int64_t numLabels, const AugmentOptions& augment,
                        const DenseCrfOptions& crf);

}  // namespace wsss
