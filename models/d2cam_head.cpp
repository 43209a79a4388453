#include "models/d2cam_head.h"

#include <c10/core/impl/LocalDispatchKeySet.h>

#include <cmath>

#include "core/error.h"

namespace wsss {

namespace {

torch::Tensor unitRows(const torch::Tensor& rows) {
  return torch::nn::functional::normalize(
      rows, torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-6));
}

}  // namespace

DecoupledMaps decoupledMaps(const torch::Tensor& embedding, const torch::Tensor& prototypes,
                            const torch::Tensor& backgroundPrototypes, double temperature) {
  DecoupledMaps maps;
  maps.category = torch::einsum("bdhw,cd->bchw", {embedding, prototypes});
  const torch::Tensor background =
      std::get<0>(torch::einsum("bdhw,kd->bkhw", {embedding, backgroundPrototypes}).max(1, true));
  maps.margin = maps.category - background;
  maps.fgbg = torch::sigmoid(maps.margin / temperature);
  return maps;
}

torch::Tensor topMeanLogits(const torch::Tensor& maps, double scale, double topFraction) {
  const torch::Tensor flat = maps.flatten(2);
  const int64_t count = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(topFraction * static_cast<double>(flat.size(2)) - 1e-9)));
  return std::get<0>(flat.topk(count, 2)).mean(2) * scale;
}

D2camHeadImpl::D2camHeadImpl(int64_t inChannels, int64_t embedDim, int64_t numClasses,
                             const D2camOptions& options)
    : options_(options) {
  WSSS_CHECK(options.backgroundPrototypes >= 1, "d2cam.bg_prototypes must be at least 1");
  embed = register_module("embed",
                          torch::nn::Conv2d(torch::nn::Conv2dOptions(inChannels, embedDim, 1)));
  // Random unit directions: in D dimensions they start nearly orthogonal.
  prototypes_ = register_parameter("prototypes", torch::randn({numClasses, embedDim}));
  backgroundPrototypes_ = register_parameter(
      "background_prototypes", torch::randn({options.backgroundPrototypes, embedDim}));
  torch::NoGradGuard noGrad;
  torch::nn::init::kaiming_normal_(embed->weight, 0.0, torch::kFanOut, torch::kReLU);
  embed->bias.zero_();
}

CamHeadOutputs D2camHeadImpl::forward(const torch::Tensor& high) {
  CamHeadOutputs out;
  const torch::Tensor features = embed(high);
  // The cosines are taken in float32, outside autocast: a bf16 dot product of unit vectors is
  // off by more than the temperature resolves.
  const c10::impl::ExcludeDispatchKeyGuard noAutocast(c10::autocast_dispatch_keyset);
  out.embed = unitRows(features.to(torch::kFloat32));
  out.prototypes = unitRows(prototypes_);
  const DecoupledMaps maps = decoupledMaps(out.embed, out.prototypes,
                                           unitRows(backgroundPrototypes_), options_.temperature);
  out.cam = maps.category;
  out.fgbg = maps.fgbg;
  out.logits = topMeanLogits(maps.category, options_.scale, options_.topFraction);
  // The same top mean over the margins scores each class against the background prototypes:
  // under the multilabel loss an absent class's most class-like pixels must fall to the
  // background, which is what teaches b_k the background at all (L_cls reads M_c alone).
  out.fgbgLogits = topMeanLogits(maps.margin, options_.scale, options_.topFraction);
  return out;
}

}  // namespace wsss
