#pragma once
// The segmentation score of a whole split: one confusion matrix summed over every labelled
// pixel, then IoU per class and the means (docs/evaluation.md). Summing counts first and
// dividing once is what VOC's protocol specifies; averaging per-image IoUs would weight small
// images as much as large ones.
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace wsss {

// Label 255: in a target, a pixel that is not scored; in a prediction, a pixel left undecided.
inline constexpr int64_t kIgnoreLabel = 255;

struct SegmentationScores {
  // Per class (index 0 = background), in [0, 1]; NaN where the class occurs in neither the
  // ground truth nor the prediction.
  std::vector<double> iou;
  std::vector<int64_t> groundTruthPixels;  // per class, labelled pixels (undecided included)
  // The means are NaN when nothing was counted (no labelled pixel in the whole split).
  double meanIou = 0;            // over the classes whose IoU is not NaN
  double pixelAccuracy = 0;      // correct / labelled pixels (undecided count as wrong)
  double meanClassAccuracy = 0;  // recall averaged over the classes in the ground truth
  int64_t undecidedPixels = 0;   // labelled pixels predicted 255
};

class ConfusionMatrix {
 public:
  // `numClasses` = K, background included (C + 1).
  explicit ConfusionMatrix(int64_t numClasses);

  // Counts one batch. `prediction` and `target` are integer tensors of the same shape on any
  // device (counted there with bincount, summed into CPU int64 counts). Target 255 is not
  // counted. Prediction 255 is undecided: a miss of the target class (a false negative for
  // it, a false positive for no class). Any other value outside [0, K) in either throws
  // wsss::Error naming the value.
  void add(const torch::Tensor& prediction, const torch::Tensor& target);

  // K x K int64 on the CPU: rows = ground truth, columns = prediction (undecided excluded).
  torch::Tensor matrix() const;
  // K int64: per ground-truth class, the pixels predicted 255.
  torch::Tensor undecided() const;
  SegmentationScores scores() const;
  // Adds another matrix of the same K (other processes' or other splits' counts).
  void merge(const ConfusionMatrix& other);
  // The K x (K + 1) int64 counts themselves (column K: undecided), shared: summing into them
  // in place, over the ranks of a job, changes this matrix.
  torch::Tensor counts() const { return counts_; }

  int64_t numClasses() const { return numClasses_; }

 private:
  int64_t numClasses_;
  // K x (K + 1): column K holds the undecided pixels of each ground-truth class.
  torch::Tensor counts_;
};

}  // namespace wsss
