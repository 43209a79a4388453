#include "losses/cam_target_loss.h"

#include <torch/torch.h>

#include "core/config/option_table.h"
#include "core/error.h"

namespace wsss {

namespace {

constexpr double kScoreFloor = 1e-5;
// Far below log(kScoreFloor), yet finite, so that its gradient is a clean 0.
constexpr double kAbsentLogit = -1e4;

}  // namespace

void CamTargetOptions::describe(OptionTable& table) {
  table.field("cam_target", camTarget,
              "train the CAM on the pseudo-labels too (cross-entropy over [bg, present classes] "
              "of the normalised CAM)");
  table.field("cam_target_weight", camTargetWeight, "weight of that loss").atLeast(0);
}

torch::Tensor camTargetLogits(const torch::Tensor& normalisedCam, const torch::Tensor& labels) {
  WSSS_CHECK(normalisedCam.dim() == 4 && labels.dim() == 2 &&
                 labels.size(0) == normalisedCam.size(0) && labels.size(1) == normalisedCam.size(1),
             "CAM target: maps ", normalisedCam.sizes(), " and labels ", labels.sizes(),
             " must be B x C x H x W and B x C");
  const torch::Tensor maps = normalisedCam.to(torch::kFloat32);
  const torch::Tensor background = 1 - std::get<0>(maps.max(1, true));
  const torch::Tensor scores = torch::cat({background, maps}, 1).clamp_min(kScoreFloor);
  const torch::Tensor absent =
      torch::cat({torch::ones_like(labels.narrow(1, 0, 1)), labels}, 1).to(maps.device()).le(0);
  return scores.log().masked_fill(absent.unsqueeze(-1).unsqueeze(-1), kAbsentLogit);
}

}  // namespace wsss
