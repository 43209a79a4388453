#pragma once
// The D2CAM head of Mat-Label (METHODS §4), in MainNet's place: a CAM built by metric learning.
// Pixel embeddings f and one prototype w_c per class, both L2-normalised, and K background
// prototypes b_k:
//   M_c(i) = cos(f_i, w_c)                               the category-decoupled maps (cam)
//   logit_c = s · mean of the top `top_fraction` of M_c    image logits (multilabel loss)
//   P_c(i) = σ((cos(f_i, w_c) − max_k cos(f_i, b_k)) / τ)  the fg/bg-decoupled maps
//   fgbg logit_c = s · top mean of the margin inside P_c   [ours] what trains the b_k
// Every class is scored by its own prototype, and each against the nearest background
// prototype, so classes do not compete inside a softmax and background has its own model.
#include <torch/torch.h>

#include <cstdint>

#include "models/cam_head.h"
#include "models/model_options.h"

namespace wsss {

class D2camHeadImpl : public CamHeadBase {
 public:
  D2camHeadImpl(int64_t inChannels, int64_t embedDim, int64_t numClasses,
                const D2camOptions& options);
  // embed: f (B x D x h x w, unit length); cam: M; logits; fgbg: P; fgbgLogits; prototypes: w
  // (C x D, unit length, with gradient).
  CamHeadOutputs forward(const torch::Tensor& high) override;

 private:
  D2camOptions options_;
  torch::nn::Conv2d embed{nullptr};
  torch::Tensor prototypes_;            // C x D
  torch::Tensor backgroundPrototypes_;  // K x D
};
TORCH_MODULE(D2camHead);

// The head's maps, each B x C x h x w.
struct DecoupledMaps {
  torch::Tensor category;  // M_c = cos(f, w_c)
  torch::Tensor margin;    // cos(f, w_c) − max_k cos(f, b_k): how far c beats the background
  torch::Tensor fgbg;      // P_c = σ(margin / τ)
};

// The maps from unit embeddings (B x D x h x w) and unit prototypes (C x D, K x D).
DecoupledMaps decoupledMaps(const torch::Tensor& embedding, const torch::Tensor& prototypes,
                            const torch::Tensor& backgroundPrototypes, double temperature);

// s · the mean of the top ceil(topFraction · h · w) values of each map: B x C.
torch::Tensor topMeanLogits(const torch::Tensor& maps, double scale, double topFraction);

}  // namespace wsss
