#pragma once
// The SupportNet side of a training step (METHODS §1): SupportNet's maps of the batch, and the
// two losses that read them, L_rcm on MainNet's embedding and L_mam on MainNet's CAMs.
#include <torch/types.h>

#include <vector>

#include "data/batch.h"
#include "losses/mam_loss.h"
#include "losses/prototype_memory.h"
#include "losses/rcm_loss.h"
#include "models/network.h"
#include "models/support_net.h"

namespace wsss {

struct SupportMaps {
  std::vector<torch::Tensor> perScale;  // S_k: relu'd, at the image size, times the labels
  torch::Tensor scores;                 // Ŝ: Σ_k S_k normalised per class, in [0, 1]
  torch::Tensor embed;                  // SupportNet's scale-1 embedding, B x D x h x w
};

// No gradient reaches SupportNet: its maps are constants of the step.
SupportMaps supportMaps(SupportNet& support, const torch::Tensor& image,
                        const torch::Tensor& labels);

// L_rcm for the batch. `memory` may be empty; when given, the batch's prototypes are pushed
// into it after they were used (so an image never meets its own prototype).
torch::Tensor rcmTerm(const torch::Tensor& mainEmbed, const SupportMaps& support,
                      const Batch& batch, const RcmOptions& options, PrototypeMemory& memory);

// L_mam on the leading images of the batch: MainNet is run again at every mam.scale but 1
// (where `mainCam` is reused), with gradient.
torch::Tensor mamTerm(WsssNetwork& network, const torch::Tensor& mainCam,
                      const SupportMaps& support, const Batch& batch, const MamOptions& options);

}  // namespace wsss
