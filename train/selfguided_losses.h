#pragma once
// The self-guided side of a training step (METHODS §3): L_affc, the CAM made consistent with
// the mid features, and the CAM trained on the step's own pseudo-labels.
#include <torch/types.h>

#include "data/batch.h"
#include "losses/affinity_consistency_loss.h"
#include "models/network.h"

namespace wsss {

// L_affc: Â (with gradient) at the mid tap's size against Â propagated `steps` times along
// the mid features' affinity; pixels outside the crop box are left out.
torch::Tensor affinityConsistencyTerm(const NetworkOutputs& outputs, const Batch& batch,
                                      const AffinityConsistencyOptions& options);

// The CAM trained on the pseudo-labels `target` (B x H x W, 255 ignored): the cross-entropy
// of camTargetLogits at the image size, bg and fg averaged apart when `balanced`.
torch::Tensor camTargetTerm(const NetworkOutputs& outputs, const Batch& batch,
                            const torch::Tensor& target, bool balanced);

}  // namespace wsss
