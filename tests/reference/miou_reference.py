#!/usr/bin/env python3
"""Reference IoUs for train/evaluation/confusion_matrix: torchmetrics on seeded random label maps.

Writes <out>/miou_reference.pt, a dict of tensors (read in C++ with torch::pickle_load):
  batches               number of batches
  prediction_<i>        int64 label maps, N x H x W, values 0..20
  target_<i>            int64 label maps, same shape, values 0..20 and 255 (ignored)
  confusion             21 x 21 int64, torchmetrics' MulticlassConfusionMatrix (rows = target)
  iou                   21 float32, MulticlassJaccardIndex(average=None): 0 for a class in
                        neither target nor prediction (its zero_division)
  iou_macro             float32, MulticlassJaccardIndex(average="macro"): the mean over the
                        classes that occur in target or prediction
  iou_double            21 float64, TP / (TP + FP + FN) from the confusion matrix
  present               21 bool, the class occurs in target or prediction
  mean_iou_present      float64, iou_double averaged over the present classes

The maps are built so that every case shows: class 13 occurs nowhere (absent from the mean),
class 7 only in predictions (IoU 0, counted), class 19 only in targets (IoU 0, counted).
"""
import argparse
import os

import torch
from torchmetrics.classification import MulticlassConfusionMatrix, MulticlassJaccardIndex

NUM_CLASSES = 21
IGNORE = 255


def make_batch(generator, index):
    shape = (2, 29 + 3 * index, 41 - 2 * index)
    truth = torch.randint(0, NUM_CLASSES, shape, generator=generator)
    truth[truth == 13] = 0
    truth[truth == 7] = 1
    noise = torch.randint(0, NUM_CLASSES, shape, generator=generator)
    keep = torch.rand(shape, generator=generator) < 0.6
    prediction = torch.where(keep, truth, noise)
    prediction[prediction == 13] = 2
    prediction[prediction == 19] = 3
    target = truth.clone()
    target[torch.rand(shape, generator=generator) < 0.1] = IGNORE
    return prediction, target


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for miou_reference.pt")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batches", type=int, default=4)
    args = parser.parse_args()

    generator = torch.Generator().manual_seed(args.seed)
    per_class = MulticlassJaccardIndex(num_classes=NUM_CLASSES, ignore_index=IGNORE, average=None)
    macro = MulticlassJaccardIndex(num_classes=NUM_CLASSES, ignore_index=IGNORE, average="macro")
    confusion = MulticlassConfusionMatrix(num_classes=NUM_CLASSES, ignore_index=IGNORE)
    result = {"batches": torch.tensor(args.batches)}
    for index in range(args.batches):
        prediction, target = make_batch(generator, index)
        for metric in (per_class, macro, confusion):
            metric.update(prediction, target)
        result[f"prediction_{index}"] = prediction
        result[f"target_{index}"] = target

    matrix = confusion.compute().to(torch.int64)
    counts = matrix.double()
    true_positive = counts.diagonal()
    union = counts.sum(0) + counts.sum(1) - true_positive
    present = union > 0
    iou_double = torch.where(present, true_positive / union.clamp(min=1), torch.zeros_like(union))
    result.update(
        confusion=matrix,
        iou=per_class.compute(),
        iou_macro=macro.compute(),
        iou_double=iou_double,
        present=present,
        mean_iou_present=iou_double[present].mean(),
    )
    os.makedirs(args.out, exist_ok=True)
    torch.save(result, os.path.join(args.out, "miou_reference.pt"))


if __name__ == "__main__":
    main()
