#pragma once
// Class-conditional inference (CCI, METHODS §2): more complete class maps from a trained
// classifier without retraining it. The image is split into overlapping crops around the
// objects' centres; in each crop the regions already found are erased (replaced by the
// image's mean) and the classifier asked again, round after round, so the activations the
// most discriminative part was hiding come out. In `class` mode every present class gets its
// own erase mask and its own re-inference; `agnostic` erases every class's region at once, as
// the authors' released code does. Every crop, scale, flip and class of an image runs in one
// forward pass per scale and round.
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/config/choice.h"

namespace wsss {

class OptionTable;

// class: every present class asked alone; agnostic: all present classes at once; off: the
// multi-scale CAM F(x) alone.
enum class CciMode { Class, Agnostic, Off };
inline const ChoiceNames<CciMode>& choiceNames(CciMode) {
  static const ChoiceNames<CciMode> names = {
      {CciMode::Class, "class"}, {CciMode::Agnostic, "agnostic"}, {CciMode::Off, "off"}};
  return names;
}

struct CciOptions {
  CciMode mode = CciMode::Class;
  bool split = true;                        // the four crops around the objects' centre
  std::vector<int64_t> buffers = {10, 20};  // crop overlap in pixels for one and two classes
  int64_t rounds = 5;                       // erase-and-ask-again rounds after the first pass
  double eraseThreshold = 0.7;              // a pixel is erased once its map reaches this
  double stopFraction = 0.02;               // stop when a round erases less than this fraction anew
  std::vector<double> scales = {1.0, 0.5, 1.5, 2.0};  // F(x) sums the CAM over these...
  bool flip = true;                                   // ...and their mirror images
  void describe(OptionTable& table);
};

// A classifier's raw class maps: N x 3 x h x w normalised images -> N x C x h' x w' (any
// stride); called without gradient.
using ClassMapFunction = std::function<torch::Tensor(const torch::Tensor& images)>;

// F(x) of METHODS §2 for N images of one size: the classifier's maps at every scale (and
// mirrored with `flip`, the mirror's maps flipped back), each passed through relu and resized
// to h x w, summed, and normalised per class as Â (relu · labels / spatial max within `valid`).
// images: N x 3 x h x w; labels: N x C; valid: N x 1 x h x w bool or undefined (all). Returns
// N x C x h x w float32 in [0, 1], 0 outside `valid` and for absent classes.
torch::Tensor multiScaleClassMaps(const ClassMapFunction& classMaps, const torch::Tensor& images,
                                  const torch::Tensor& labels, const torch::Tensor& valid,
                                  const std::vector<double>& scales, bool flip);

// [top, left, bottom, right) boxes of the crops CCI splits an H x W image into, given the
// centres of mass (row, col) of its present classes: with one or two classes, the four
// quadrants around their mean centre, each reaching `buffer` pixels past it (buffers[0] for
// one class, buffers[1] for two), clipped to the image; otherwise the whole image alone.
std::vector<std::array<int64_t, 4>> cciCropBoxes(int64_t height, int64_t width,
                                                 const std::vector<std::array<double, 2>>& centres,
                                                 const std::vector<int64_t>& buffers);

// The CCI maps of one image: image 3 x H x W (normalised), labels C in {0, 1}. Returns
// C x H x W float32 in [0, 1] (0 for absent classes): the crops' maps pasted back, max over
// the crops.
torch::Tensor classConditionalMaps(const ClassMapFunction& classMaps, const torch::Tensor& image,
                                   const torch::Tensor& labels, const CciOptions& options);

}  // namespace wsss
