#pragma once
// Pseudo-labels as image matting (METHODS §4): a trimap per present class (sure foreground,
// sure background, unknown) from fg/bg-decoupled maps, and alpha solved on the unknown pixels
// with the image as guide. `propagate` is a random-walk matting on the image-guided affinities
// of image_refinement.h: alpha is held on the known pixels and every unknown pixel moves to the
// affinity-weighted mean of its neighbours until nothing moves by more than the tolerance.
// Batched over images and classes, on the tensors' device, no gradient.
#include <torch/types.h>

#include <cstdint>

#include "core/config/choice.h"
#include "models/refine/image_refinement.h"

namespace wsss {

class OptionTable;

// Trimap values, as the PNGs of `wsss pseudo --save-trimaps` hold them.
constexpr uint8_t kTrimapBackground = 0;
constexpr uint8_t kTrimapUnknown = 128;
constexpr uint8_t kTrimapForeground = 255;

struct TrimapOptions {
  double foreground = 0.7;  // sure foreground of class c: P_c at or above this, c the argmax
  double background = 0.3;  // sure background: every P_c at or below this
};

// How alpha is solved: on the device by propagation, or by OpenCV's information flow (CPU).
enum class MattingSolver { Propagate, Infoflow };
inline const ChoiceNames<MattingSolver>& choiceNames(MattingSolver) {
  static const ChoiceNames<MattingSolver> names = {{MattingSolver::Propagate, "propagate"},
                                                   {MattingSolver::Infoflow, "infoflow"}};
  return names;
}

// The `matting:` section: the matting refiner of the pseudo-label chain (METHODS §4).
struct MattingOptions {
  bool enabled = false;
  MattingSolver solver = MattingSolver::Propagate;
  TrimapOptions trimap;
  double tolerance = 1e-3;     // propagate: stop when no unknown pixel moves by this much
  int64_t maxIterations = 100; // propagate: ... or after this many steps
  void describe(OptionTable& table);
};

// B x C x H x W uint8 trimaps from maps P (B x C x H x W in [0, 1]) of the classes present in
// `labels` (B x C in {0, 1}). For a present class c: foreground where P_c >= foreground and c is
// the top present class; background where every present P is <= background, or where another
// class is sure foreground (a pixel has one class); unknown elsewhere. An absent class is
// background everywhere. Outside `valid` (B x 1 x H x W bool, or undefined: everywhere valid)
// every class is background, so padding never joins a matte.
torch::Tensor makeTrimaps(const torch::Tensor& maps, const torch::Tensor& labels,
                          const torch::Tensor& valid, const TrimapOptions& options);

struct PropagationResult {
  torch::Tensor alpha;     // B x C x H x W float32 in [0, 1]; exactly 0 / 1 on known pixels
  int64_t iterations = 0;  // steps taken
  double lastChange = 0;   // the largest change of an unknown pixel in the last step
};

// Random-walk matting of every class's trimap (B x C x H x W uint8) at once, guided by `image`
// (B x 3 x H x W). The walk runs at `refinement.scale` of the image size with its affinities
// (METHODS §3's kernel, normalised to sum 1 over the valid neighbours), unknown pixels starting
// at 0.5, for at most `maxIterations` steps and until the largest change is below `tolerance`;
// alpha is then upsampled and the known pixels set exactly again at the full size.
PropagationResult propagateAlpha(const torch::Tensor& image, const torch::Tensor& trimaps,
                                 const torch::Tensor& valid,
                                 const ImageRefinementOptions& refinement, double tolerance,
                                 int64_t maxIterations);

// The labels of mattes: the argmax class (1 + c) of alpha, background (0) where every alpha is
// below 0.5. B x H x W int64.
torch::Tensor labelsFromAlpha(const torch::Tensor& alpha);

}  // namespace wsss
