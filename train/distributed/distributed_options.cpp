#include "train/distributed/distributed_options.h"

#include "core/config/option_table.h"

namespace wsss {

void DistributedOptions::describe(OptionTable& table) {
  table.choice("backend", backend,
               "collectives under torchrun: auto (NCCL on CUDA, Gloo on the CPU), nccl or gloo");
  table
      .field("timeout", timeout,
             "seconds a rank waits for the others (rendezvous and every collective) before it "
             "stops, naming the ranks it waited for")
      .positive();
  table
      .field("bucket_mb", bucketMb,
             "MiB of gradients per all-reduce; a full bucket is summed while the backward pass "
             "goes on (smaller: more overlap, more collectives)")
      .positive();
}

}  // namespace wsss
