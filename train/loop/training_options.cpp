#include "train/loop/training_options.h"

#include "core/config/option_table.h"

namespace wsss {

void TrainOptions::describe(OptionTable& table) {
  table.field("iterations", iterations, "optimiser steps of the whole run").atLeast(1);
  table.field("batch_size", batchSize, "images per step").atLeast(1);
  table.choice("optimizer", optimizer, "the optimiser");
  table.field("lr", lr, "base learning rate (the backbone's)").atLeast(0);
  table.field("head_lr_scale", headLrScale, "learning-rate factor of the heads").atLeast(0);
  table.field("momentum", momentum, "SGD momentum").atLeast(0).atMost(1);
  table.field("weight_decay", weightDecay, "weight decay (decoupled for adamw)").atLeast(0);
  table.field("poly_power", polyPower, "power of the poly decay lr·(1 - t/T)^p").atLeast(0);
  table.field("warmup_iters", warmupIters, "steps of linear learning-rate warm-up").atLeast(0);
  table.field("warmup_factor", warmupFactor, "learning-rate factor at the first warm-up step")
      .atLeast(0)
      .atMost(1);
  table.field("amp", amp, "bf16 autocast on CUDA (no effect on CPU)");
  table.field("channels_last", channelsLast, "channels_last memory format on CUDA");
  table.field("deterministic", deterministic,
              "deterministic algorithms and cuBLAS/cuDNN settings: a resumed CUDA run ends "
              "bitwise like an uninterrupted one (slower; the CPU is deterministic anyway)");
  table.field("threads", threads, "torch intra-op threads on CPU (0 = torch's default)").atLeast(0);
  table.field("log_interval", logInterval, "steps between progress lines").atLeast(1);
  table.field("tensorboard", tensorboard,
              "write TensorBoard event files under <work-dir>/tensorboard/: every loss term, "
              "the learning rate, images/s, the evaluations and the effective config");
  table
      .field("tensorboard_images", tensorboardImages,
             "the first N val images, shown at every evaluation with the prediction and the "
             "CAM over them (0: none)")
      .atLeast(0);
  table
      .field("eval_interval", evalInterval,
             "steps between evaluations on data.val_split (0 = only at the end)")
      .atLeast(0);
  table
      .field("checkpoint_interval", checkpointInterval,
             "steps between checkpoints (last.pt and iter_NNNNNN.pt)")
      .atLeast(1);
  table.field("keep_checkpoints", keepCheckpoints, "newest iter_NNNNNN.pt files kept").atLeast(0);
  table.section("distributed", distributed, "the ranks of a torchrun job (docs/distributed.md)");
}

}  // namespace wsss
