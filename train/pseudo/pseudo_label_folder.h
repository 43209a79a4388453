#pragma once
// supervision: pseudo_dir, the classic second stage: the segmentation head trains on a folder
// of pseudo-label PNGs (written by `wsss pseudo`, or by any other tool) in place of the
// training split's masks. The loader reads them as it reads masks, so they go through the same
// augmentation; the image-level labels still come from the annotations.
#include <string>

#include "data/data_options.h"
#include "train/step/loss_term.h"

namespace wsss {

struct ExperimentConfig;
class VocDataset;

// The data options of the training split: config.data, with the masks read from pseudo.dir
// (made absolute) under supervision pseudo_dir, and the saliency maps and clicks that a term of
// `terms` the config switches on reads (DataOptions::needs, named after that term).
DataOptions trainingDataOptions(const ExperimentConfig& config,
                                const LossTermList& terms = standardLossTerms());

// Under supervision pseudo_dir, throws wsss::Error unless pseudo.dir is a folder holding
// <id>.png for every image of `trainSet`, naming the folder, the first missing ids and how to
// make them. Does nothing otherwise.
void checkPseudoLabelFolder(const ExperimentConfig& config, const VocDataset& trainSet);

}  // namespace wsss
