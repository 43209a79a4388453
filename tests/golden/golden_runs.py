#!/usr/bin/env python3
"""Golden runs: short trainings of every shipped toy config, held bit for bit against values
recorded before a change that must not change behaviour.

  golden_runs.py --wsss build/wsss --record tests/golden/golden_runs.json
  golden_runs.py --wsss build/wsss --check  tests/golden/golden_runs.json

Each run trains 30 steps on one thread with the warm-ups shortened, so that every loss term of
its config is active for part of the run. What is held: every step's loss values (metrics.jsonl
writes float32 values with 9 significant digits, which identify the float exactly), the final
evaluation, a SHA-256 over every tensor of the last checkpoint (weights, buffers, SupportNet and
the prototype memory), the pseudo-labels `wsss pseudo` writes from the baseline's checkpoint
with their scores, a run on those labels (supervision pseudo_dir), and `wsss eval --target cam`
on the self-guided and PSS checkpoints. The runs read a toy dataset the script writes itself
(`wsss toy-data`, the demo's arguments), so a fresh clone needs nothing else. Values of
floating-point kernels depend on the CPU's vector width, so a check on a CPU other than the
recording's is skipped (exit 77).
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIPPED = 77
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Every run: 30 steps, one thread, warm-ups inside the run, one checkpoint and one evaluation.
COMMON = [
    "train.iterations=30",
    "train.threads=1",
    "train.warmup_iters=5",
    "train.log_interval=10",
    "train.checkpoint_interval=30",
    "train.eval_interval=0",
    "seg.warmup_iters=10",
    "rcm.warmup_iters=10",
    "mam.warmup_iters=15",
]
CONFIGS = ["baseline", "full", "selfguided", "pss", "aamr"]
# The dataset scripts/demo.sh writes; every command reads it through data.root.
TOY_DATA = ["--train", "200", "--val", "60", "--seed", "0"]


def run(command, log):
    with open(log, "w") as out:
        finished = subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    if finished.returncode != 0:
        with open(log) as text:
            tail = text.read()[-3000:]
        sys.exit(f"failed ({finished.returncode}): {' '.join(command)}\n{tail}")


def checkpoint_digest(path):
    import torch

    archive = torch.jit.load(path, map_location="cpu")
    tensors = dict(archive.named_parameters())
    tensors.update(dict(archive.named_buffers()))
    digest = hashlib.sha256()
    for name in sorted(tensors):
        value = tensors[name].detach().contiguous()
        digest.update(name.encode())
        digest.update(str(value.dtype).encode())
        digest.update(str(tuple(value.shape)).encode())
        digest.update(value.numpy().tobytes() if value.dtype != torch.bfloat16 else value.view(torch.int16).numpy().tobytes())
    return {"tensors": len(tensors), "sha256": digest.hexdigest()}


def metrics(path):
    steps, evals = [], []
    with open(path) as file:
        for line in file:
            record = json.loads(line)
            if "loss" in record:
                steps.append(record["loss"])
            if "eval" in record:
                evals.append({"iteration": record["iteration"], "mIoU": record["eval"]["mIoU"]})
    return {"losses": steps, "evals": evals}


def folder_digest(folder):
    digest = hashlib.sha256()
    names = sorted(os.listdir(folder))
    for name in names:
        digest.update(name.encode())
        with open(os.path.join(folder, name), "rb") as file:
            digest.update(file.read())
    return {"files": len(names), "sha256": digest.hexdigest()}


def data_root(work):
    return "data.root=" + os.path.join(work, "toy")


def train(wsss, work, name, config, extra=()):
    folder = os.path.join(work, name)
    shutil.rmtree(folder, ignore_errors=True)  # metrics.jsonl appends
    run([wsss, "train", "--config", config, "--work-dir", folder, *COMMON, data_root(work),
         *extra],
        os.path.join(work, name + ".log"))
    result = metrics(os.path.join(folder, "metrics.jsonl"))
    result["checkpoint"] = checkpoint_digest(os.path.join(folder, "checkpoints", "last.pt"))
    return result


def evaluate_cam(wsss, work, name, config):
    folder = os.path.join(work, name)
    out = os.path.join(work, name + "-cam")
    run([wsss, "eval", "--config", config, "--checkpoint",
         os.path.join(folder, "checkpoints", "last.pt"), "--target", "cam", "--work-dir", out,
         "train.threads=1", data_root(work)], os.path.join(work, name + "-cam.log"))
    with open(os.path.join(out, "metrics.json")) as file:
        scores = json.load(file)
    return {"mIoU": scores["mIoU"], "per_class_iou": scores.get("per_class_iou")}


def golden(wsss, work):
    import torch

    results = {"cpu_capability": torch.backends.cpu.get_cpu_capability(), "runs": {}}
    run([wsss, "toy-data", "--out", os.path.join(work, "toy"), *TOY_DATA],
        os.path.join(work, "toy-data.log"))
    runs = results["runs"]
    for name in CONFIGS:
        runs[name] = train(wsss, work, name, f"configs/toy/{name}.yaml")
        print(f"{name}: {len(runs[name]['losses'])} steps, last {runs[name]['losses'][-1]}",
              flush=True)
    # The self-guided config with the CAM trained on its own pseudo-labels too.
    runs["selfguided_cam_target"] = train(wsss, work, "selfguided_cam_target",
                                          "configs/toy/selfguided.yaml",
                                          ["selfguided.cam_target=true"])
    runs["selfguided"]["eval_cam"] = evaluate_cam(wsss, work, "selfguided",
                                                  "configs/toy/selfguided.yaml")
    runs["pss"]["eval_cam"] = evaluate_cam(wsss, work, "pss", "configs/toy/pss.yaml")

    # Pseudo-labels of the baseline's checkpoint by CCI, then a run trained on them.
    pseudo = os.path.join(work, "pseudo")
    run([wsss, "pseudo", "--config", "configs/toy/baseline.yaml", "--checkpoint",
         os.path.join(work, "baseline", "checkpoints", "last.pt"), "--split", "train",
         "--work-dir", pseudo, "train.threads=1", data_root(work)], os.path.join(work, "pseudo.log"))
    with open(os.path.join(pseudo, "metrics.json")) as file:
        scores = json.load(file)
    runs["pseudo"] = {"labels": folder_digest(os.path.join(pseudo, "labels")),
                      "mIoU": scores.get("mIoU")}
    runs["pseudo_dir"] = train(wsss, work, "pseudo_dir", "configs/toy/baseline.yaml",
                               ["supervision=pseudo_dir", "pseudo.dir=" + os.path.join(pseudo, "labels"),
                                "data.train_split=train"])
    print(f"pseudo_dir: last {runs['pseudo_dir']['losses'][-1]}", flush=True)
    return results


def differences(expected, actual, where=""):
    """Paths at which two JSON values differ, with both values."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(set(expected) | set(actual)):
            found += differences(expected.get(key), actual.get(key), f"{where}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        found = []
        for index, (a, b) in enumerate(zip(expected, actual)):
            found += differences(a, b, f"{where}[{index}]")
        return found
    return [] if expected == actual else [(where, expected, actual)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wsss", required=True, help="the wsss binary")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--record", metavar="FILE")
    action.add_argument("--check", metavar="FILE")
    # A build whose arithmetic is not the record's (the sanitized clang build of
    # scripts/test.sh --sanitize) still runs every config, under its sanitizers.
    action.add_argument("--run-only", action="store_true",
                        help="run every config, compare nothing")
    parser.add_argument("--work", help="folder for the runs (default: a temporary one)")
    args = parser.parse_args()
    wsss = os.path.abspath(args.wsss)

    if args.check:
        import torch

        with open(args.check) as file:
            expected = json.load(file)
        capability = torch.backends.cpu.get_cpu_capability()
        if capability != expected["cpu_capability"]:
            print(f"skipped: recorded on a {expected['cpu_capability']} CPU, this one is {capability}")
            sys.exit(SKIPPED)

    with tempfile.TemporaryDirectory() as temporary:
        work = args.work or temporary
        os.makedirs(work, exist_ok=True)
        results = golden(wsss, work)

    if args.record:
        with open(args.record, "w") as file:
            json.dump(results, file, indent=1)
            file.write("\n")
        print(f"recorded {args.record}")
        return
    if args.run_only:
        print(f"golden runs: all {len(results['runs'])} ran (not compared: --run-only)")
        return
    found = differences(expected, results)
    if not found:
        print(f"golden runs: all {len(results['runs'])} match bit for bit")
        return
    for where, a, b in found[:20]:
        print(f"differs at {where}: expected {a}, got {b}")
    sys.exit(f"golden runs: {len(found)} values differ")


if __name__ == "__main__":
    main()
