#pragma once
// RCM's optional prototype memory (METHODS §1, rcm.memory): the newest N present prototypes of
// every region, kept across steps and averaged into the leave-one-out prototypes. Its state is
// three buffers, so it goes into checkpoints like a module and a resumed run continues exactly.
#include <torch/torch.h>

#include <cstdint>

#include "losses/rcm_loss.h"

namespace wsss {

class PrototypeMemoryImpl : public torch::nn::Module {
 public:
  PrototypeMemoryImpl(int64_t numRegions, int64_t capacity, int64_t dim);

  // K x D: the sum of the stored prototypes of each region (0 where none is stored).
  torch::Tensor sum() const;
  // K: how many prototypes each region holds.
  torch::Tensor count() const;

  // Stores a batch's present prototypes, image order deciding which are newest; a region
  // that is full drops its oldest. No host loop: every write is one scatter.
  void push(const RegionPrototypes& batch);

  int64_t capacity() const { return capacity_; }

 private:
  int64_t capacity_;
  torch::Tensor entries_;  // K x N x D
  torch::Tensor filled_;   // K, int64: slots in use
  torch::Tensor next_;     // K, int64: the slot the next prototype goes to
};
TORCH_MODULE(PrototypeMemory);

}  // namespace wsss
