#pragma once
// The `train.distributed:` section: how the ranks of a torchrun job talk (docs/distributed.md).
// A run without torchrun's variables is one process and reads none of it.
#include "core/config/choice.h"

namespace wsss {

class OptionTable;

// auto: NCCL when the run's device is CUDA, Gloo on the CPU.
enum class DistributedBackend { Auto, Nccl, Gloo };
inline const ChoiceNames<DistributedBackend>& choiceNames(DistributedBackend) {
  static const ChoiceNames<DistributedBackend> names = {{DistributedBackend::Auto, "auto"},
                                                        {DistributedBackend::Nccl, "nccl"},
                                                        {DistributedBackend::Gloo, "gloo"}};
  return names;
}

struct DistributedOptions {
  DistributedBackend backend = DistributedBackend::Auto;
  // Seconds a rank waits for the others, at the rendezvous and in every collective, before it
  // stops with an error naming the ranks it waited for.
  double timeout = 600;
  // The gradients travel in buckets of this many MiB, each summed over the ranks as soon as
  // the backward pass has filled it (DistributedDataParallel's bucket_cap_mb).
  double bucketMb = 25;
  void describe(OptionTable& table);
};

}  // namespace wsss
