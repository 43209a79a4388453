"""Our dense CRF (models/crf, run through benchmarks/crf/crf_driver) against pydensecrf, the
Python binding of Krähenbühl's densecrf, on the same images: agreement and speed.

usage: dense_crf_reference.py --driver PATH [--images K] [--repeat R] [--threads N]
                              [--work-dir DIR] [--json FILE]

  --driver   the crf_driver executable (docs/crf.md gives the command that builds it)
  --images   VOC-size (500 x 375, 21 labels) images of each kind, structured and random (2)
  --repeat   timed runs of each side; the median counts (3)
  --threads  "all threads" for our side (default: every core)

Cases, each run by both sides with the same options (the `crf:` defaults unless named):
  small        24 x 20, 5 labels, random and structured images
  voc          500 x 375, 21 labels, 10 iterations: K structured and K random images
  labels       label-unary variant (gt_prob 0.7, 255 = unknown) on the structured VOC images,
               with crf_inference_label's kernels (bi_xy_std 50, bi_rgb_std 5)
  matrix       a random symmetric 5 x 5 compatibility on 60 x 40 images
For each: the fraction of pixels whose label (argmax of Q) is the same, and the max and mean of
|Q_ours - Q_pydensecrf|. Then the speed on the voc images: pydensecrf images/s (it runs one
thread) against ours on one thread and on all threads, the three runs interleaved, file reading
left out on both sides; wall clock, and for one thread CPU time too (less inflated on a busy
machine). Exits 77 (skipped) when pydensecrf is not installed
(`python3 -m pip install pydensecrf2`), 1 when an agreement target is missed: same label on at
least 99.5% of the pixels, max |dQ| at most 1e-3.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

try:
    import pydensecrf.densecrf as dcrf
    from pydensecrf.utils import unary_from_labels, unary_from_softmax
except ImportError:
    print("pydensecrf is not installed: python3 -m pip install pydensecrf2")
    sys.exit(77)

# The `crf:` defaults (models/crf/dense_crf.h).
DEFAULTS = dict(iterations=10, pos_xy_std=3.0, pos_weight=3.0, bi_xy_std=80.0, bi_rgb_std=13.0,
                bi_weight=10.0, gt_prob=0.7)
SAME_LABEL_TARGET = 0.995
MAX_DIFFERENCE_TARGET = 1e-3


def structured_case(rng, height, width, labels):
    """Discs of flat colour on a smooth gradient, with sensor-like noise; probabilities that
    favour each pixel's true label through noisy logits. Returns (image, probabilities, truth)."""
    yy, xx = np.mgrid[:height, :width]
    image = np.stack([xx * 255.0 / width, yy * 255.0 / height,
                      np.full((height, width), 128.0)], -1)
    truth = np.zeros((height, width), np.int64)
    for _ in range(8):
        cy, cx = rng.integers(0, height), rng.integers(0, width)
        radius = rng.integers(max(2, height // 12), max(3, height // 3))
        inside = (yy - cy) ** 2 + (xx - cx) ** 2 < radius ** 2
        truth[inside] = rng.integers(1, labels)
        image[inside] = rng.integers(0, 256, 3)
    image = np.clip(image + rng.normal(0, 8, image.shape), 0, 255).astype(np.uint8)
    logits = rng.normal(0, 1.5, (labels, height, width))
    logits[truth, yy, xx] += 1.5
    return image, softmax(logits), truth


def random_case(rng, height, width, labels):
    """Uniform noise for the image, independent noise for the logits: every pixel its own colour,
    the lattice's worst case."""
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    return image, softmax(rng.normal(0, 1, (labels, height, width))), None


def softmax(logits):
    e = np.exp(logits - logits.max(0, keepdims=True))
    return (e / e.sum(0, keepdims=True)).astype(np.float32)


def pydensecrf_q(image, unary, options, compatibility=None):
    labels = unary.shape[0]
    height, width = image.shape[:2]
    crf = dcrf.DenseCRF2D(width, height, labels)
    crf.setUnaryEnergy(np.ascontiguousarray(unary.reshape(labels, -1), dtype=np.float32))
    pos = options["pos_weight"] if compatibility is None else \
        (options["pos_weight"] * compatibility).astype(np.float32)
    bi = options["bi_weight"] if compatibility is None else \
        (options["bi_weight"] * compatibility).astype(np.float32)
    if options["pos_weight"] > 0:
        crf.addPairwiseGaussian(sxy=options["pos_xy_std"], compat=pos)
    if options["bi_weight"] > 0:
        crf.addPairwiseBilateral(sxy=options["bi_xy_std"], srgb=options["bi_rgb_std"],
                                 rgbim=np.ascontiguousarray(image), compat=bi)
    return np.array(crf.inference(options["iterations"]), np.float32).reshape(labels, height, width)


def pydensecrf_from_probabilities(image, probabilities, options):
    return pydensecrf_q(image, unary_from_softmax(probabilities), options)


def pydensecrf_from_labels(image, labels, count, options):
    # pydensecrf's "unknown" is label 0 with zero_unsure=True: shift ours up by one.
    shifted = np.where(labels == 255, 0, labels + 1)
    unary = unary_from_labels(shifted, count, gt_prob=options["gt_prob"], zero_unsure=True)
    return pydensecrf_q(image, unary.reshape(count, *labels.shape), options)


def run_driver(driver, work, inputs, options, threads, repeat, extra=()):
    """Runs crf_driver on the arrays in `inputs` (name -> array); returns Q and the driver's
    report (its wall-clock and CPU seconds per repeat)."""
    arguments = [driver, "--threads", str(threads), "--repeat", str(repeat),
                 "--out", os.path.join(work, "q.npy")]
    for name, array in inputs.items():
        path = os.path.join(work, name + ".npy")
        np.save(path, np.ascontiguousarray(array))
        arguments += ["--" + name, path]
    arguments += [f"{key}={value}" for key, value in options.items()] + list(extra)
    result = subprocess.run(arguments, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"crf_driver failed: {' '.join(arguments)}\n{result.stderr}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return np.load(os.path.join(work, "q.npy")), report


def agreement(name, ours, theirs):
    same = float(np.mean(ours.argmax(1) == theirs.argmax(1)))
    difference = np.abs(ours - theirs)
    row = dict(case=name, same_label=same, max_abs_dq=float(difference.max()),
               mean_abs_dq=float(difference.mean()))
    row["ok"] = same >= SAME_LABEL_TARGET and row["max_abs_dq"] <= MAX_DIFFERENCE_TARGET
    print(f"{name:<22} same label {same * 100:8.4f}%   max |dQ| {row['max_abs_dq']:.2e}   "
          f"mean |dQ| {row['mean_abs_dq']:.2e}   {'ok' if row['ok'] else 'MISSED'}")
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--driver", required=True)
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--work-dir")
    parser.add_argument("--json")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    work = args.work_dir or tempfile.mkdtemp(prefix="dense_crf_reference_")
    os.makedirs(work, exist_ok=True)
    options = dict(DEFAULTS)
    rows = []

    print("agreement with pydensecrf")
    small = [structured_case(rng, 20, 24, 5), random_case(rng, 20, 24, 5)]
    images = np.stack([case[0] for case in small])
    probabilities = np.stack([case[1] for case in small])
    ours, _ = run_driver(args.driver, work, dict(images=images, probabilities=probabilities),
                         options, args.threads, 1)
    theirs = np.stack([pydensecrf_from_probabilities(i, p, options)
                       for i, p in zip(images, probabilities)])
    rows.append(agreement("small 24x20 L=5", ours, theirs))

    voc = [structured_case(rng, 375, 500, 21) for _ in range(args.images)] + \
          [random_case(rng, 375, 500, 21) for _ in range(args.images)]
    voc_images = np.stack([case[0] for case in voc])
    voc_probabilities = np.stack([case[1] for case in voc])
    ours, _ = run_driver(args.driver, work,
                         dict(images=voc_images, probabilities=voc_probabilities), options,
                         args.threads, 1)
    theirs = np.stack([pydensecrf_from_probabilities(i, p, options)
                       for i, p in zip(voc_images, voc_probabilities)])
    half = args.images
    rows.append(agreement("voc structured", ours[:half], theirs[:half]))
    rows.append(agreement("voc random", ours[half:], theirs[half:]))

    label_options = dict(options, bi_xy_std=50.0, bi_rgb_std=5.0)
    label_maps = []
    for image, _, truth in voc[:half]:
        labels = truth.copy()
        flip = rng.random(labels.shape) < 0.05
        labels[flip] = rng.integers(0, 21, int(flip.sum()))
        labels[rng.random(labels.shape) < 0.2] = 255
        label_maps.append(labels)
    label_maps = np.stack(label_maps).astype(np.int64)
    ours, _ = run_driver(args.driver, work, dict(images=voc_images[:half], labels=label_maps),
                         label_options, args.threads, 1, extra=["labels=21"])
    theirs = np.stack([pydensecrf_from_labels(i, l, 21, label_options)
                       for i, l in zip(voc_images[:half], label_maps)])
    rows.append(agreement("labels gt_prob=0.7", ours, theirs))

    mu = rng.uniform(0, 2, (5, 5))
    mu = ((mu + mu.T) / 2).astype(np.float32)
    matrix = [structured_case(rng, 40, 60, 5), random_case(rng, 40, 60, 5)]
    images = np.stack([case[0] for case in matrix])
    probabilities = np.stack([case[1] for case in matrix])
    ours, _ = run_driver(args.driver, work,
                         dict(images=images, probabilities=probabilities, compatibility=mu),
                         options, args.threads, 1)
    theirs = np.stack([pydensecrf_q(i, unary_from_softmax(p), options, mu)
                       for i, p in zip(images, probabilities)])
    rows.append(agreement("matrix compatibility", ours, theirs))

    print(f"\nspeed, VOC size 500x375, 21 labels, {options['iterations']} iterations, images/s "
          f"(median of {args.repeat}); wall clock, and for one thread also CPU time, which a busy "
          f"machine inflates less")
    speed = []
    for kind, chosen in (("structured", slice(0, half)), ("random", slice(half, None))):
        kind_images, kind_probabilities = voc_images[chosen], voc_probabilities[chosen]
        inputs = dict(images=kind_images, probabilities=kind_probabilities)
        # Interleaved, so both sides see the same load.
        py_wall, py_cpu, one_wall, one_cpu, every_wall = [], [], [], [], []
        for _ in range(args.repeat):
            start, cpu_start = time.perf_counter(), time.process_time()
            for image, p in zip(kind_images, kind_probabilities):
                pydensecrf_from_probabilities(image, p, options)
            py_wall.append(time.perf_counter() - start)
            py_cpu.append(time.process_time() - cpu_start)
            _, report = run_driver(args.driver, work, inputs, options, 1, 1)
            one_wall += report["seconds"]
            one_cpu += report["cpu_seconds"]
            _, report = run_driver(args.driver, work, inputs, options, args.threads, 1)
            every_wall += report["seconds"]
        count = len(kind_images)
        rate = lambda seconds: count / statistics.median(seconds)
        rates = dict(kind=kind, images=count, threads=args.threads,
                     pydensecrf=rate(py_wall), ours_1_thread=rate(one_wall),
                     ours_all_threads=rate(every_wall), pydensecrf_cpu=rate(py_cpu),
                     ours_1_thread_cpu=rate(one_cpu))
        rates["speedup_1_thread"] = rates["ours_1_thread"] / rates["pydensecrf"]
        rates["speedup_all_threads"] = rates["ours_all_threads"] / rates["pydensecrf"]
        rates["speedup_1_thread_cpu"] = rates["ours_1_thread_cpu"] / rates["pydensecrf_cpu"]
        speed.append(rates)
    every = f"ours {args.threads} thr"
    print(f"{'images':<12}{'pydensecrf':>11}{'ours 1 thr':>11}{every:>11}"
          f"{'x 1 thr':>9}{'x all':>7}   {'CPU: pyd':>9}{'ours 1':>8}{'x 1 thr':>9}")
    for r in speed:
        print(f"{r['kind']:<12}{r['pydensecrf']:11.2f}{r['ours_1_thread']:11.2f}"
              f"{r['ours_all_threads']:11.2f}{r['speedup_1_thread']:9.2f}"
              f"{r['speedup_all_threads']:7.2f}   {r['pydensecrf_cpu']:9.2f}"
              f"{r['ours_1_thread_cpu']:8.2f}{r['speedup_1_thread_cpu']:9.2f}")
    result = dict(agreement=rows, speed=speed, load_average=os.getloadavg())
    print("load average (1, 5, 15 min):", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(json.dumps(result))
    if args.json:
        with open(args.json, "w") as file:
            json.dump(result, file, indent=1)
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
