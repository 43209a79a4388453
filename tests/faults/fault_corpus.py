#!/usr/bin/env python3
"""Fault corpus: broken data, configs, checkpoints and runs, each planted in its own folder and
run through the real binary.

  fault_corpus.py --wsss build/wsss [--only NAME...] [--keep] [--tmp DIR] [--list]

Every fault must end the way a user can act on: a non-zero exit code that is not a signal, one
`error: ...` line naming the culprit (the file, the config key, the image id) and what to do, no
crash text (an uncaught exception, a sanitizer's report), and nothing that was already written
(the dataset, earlier checkpoints, metrics, labels) changed: every file present before the
faulty command is hashed before and after it. A few faults are not failures by design (a clean
stop on SIGTERM, a resume that continues after a kill, images that data.on_error: skip leaves
out, a PNG named .jpg, a 1 x 1 image with its 1 x 1 mask, a crop larger than every image, a
torn last line of metrics.jsonl); they hold the documented outcome instead. The runs are tiny (a toy dataset of 4 training
and 2 val images, a from-scratch network of width 8, a few steps on one thread), so the corpus
takes about a minute on two cores. A table of fault, exit code and first error line goes to
stdout; the exit code is non-zero when any fault misses its checks, each named with the reason.

Faults in the checkpoint writer are injected through WSSS_FAULT_WRITE (core/atomic_file.cpp).
"""
import argparse
import collections
import fnmatch
import hashlib
import io
import json
import os
import pickle
import pickletools
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
CRASH_TEXT = ["terminate called", "Segmentation fault", "AddressSanitizer", "runtime error:",
              "LeakSanitizer", "ThreadSanitizer", "core dumped", "Aborted"]
COMMAND_TIMEOUT = 120

# Ids of the toy dataset `wsss toy-data --train 4 --val 2` writes.
TRAIN_IDS = ["2007_000001", "2007_000002", "2007_000003", "2007_000004"]
VAL_IDS = ["2007_000005", "2007_000006"]
BAD = TRAIN_IDS[1]      # the training image a data fault is planted in
BAD_VAL = VAL_IDS[1]    # the val image

# The instant run of tests/test_helpers.cpp (instantToyConfig), on one loader thread; a batch
# holds every training image, so a data fault stops the first step, before any checkpoint.
INSTANT = """\
base: {baseline}
device: cpu
data:
  root: {root}
  workers: 1
  augment:
    crop_size: 64
model:
  backbone: scratch
  scratch_width: 8
  embed_dim: 16
  seg_channels: 16
train:
  iterations: 2
  batch_size: 4
  warmup_iters: 1
  checkpoint_interval: 1
  keep_checkpoints: 10
  log_interval: 1
  eval_interval: 0
  threads: 1
  tensorboard: false
"""


class FaultFailed(Exception):
    """A set-up step of a fault went wrong (not the fault's own check)."""


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def snapshot(folder, skip):
    """sha256 of every file under folder, by path relative to it, leaving out `skip`."""
    hashes = {}
    for path in sorted(Path(folder).rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and not relative.startswith(skip):
            hashes[relative] = sha256(path)
    return hashes


def matches(relative, patterns):
    return any(fnmatch.fnmatchcase(relative, pattern) for pattern in patterns)


def first_error_line(text):
    for line in text.splitlines():
        if line.startswith("error:"):
            return line
    return ""


class Result:
    def __init__(self, command, returncode, stdout, stderr, seconds):
        self.command, self.returncode = command, returncode
        self.stdout, self.stderr, self.seconds = stdout, stderr, seconds

    @property
    def output(self):
        return self.stdout + self.stderr

    @property
    def error(self):
        return first_error_line(self.stderr)


# ---------------------------------------------------------------------------------------------
# Writing broken files


def write_png(path, array):
    Image.fromarray(array).save(path)


def image_size(path):
    with Image.open(path) as image:
        return image.size  # (width, height)


def write_torch_state_dict(path, tensors):
    """A file as torch.save(state_dict) writes it (zip, pickle protocol 2, one storage per
    dtype), of all-zero tensors {name: (dtype, shape)}, without torch: the pickle names
    torch's rebuild function and storage classes, which stand-in modules provide while it is
    written."""
    rebuild = types.FunctionType((lambda *args: None).__code__, {}, "_rebuild_tensor_v2")
    rebuild.__module__, rebuild.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    storage_types = {name: type(name, (), {"__module__": "torch"})
                     for name in ("FloatStorage", "LongStorage")}
    torch_module = types.ModuleType("torch")
    utils_module = types.ModuleType("torch._utils")
    utils_module._rebuild_tensor_v2 = rebuild
    for name, cls in storage_types.items():
        setattr(torch_module, name, cls)
    torch_module._utils = utils_module

    # One zero storage per dtype, as large as its largest tensor, shared by every tensor.
    sizes = {"FloatStorage": 1, "LongStorage": 1}
    for dtype, shape in tensors.values():
        sizes[dtype] = max(sizes[dtype], int(np.prod(shape, dtype=np.int64)) if shape else 1)
    keys = {"FloatStorage": "0", "LongStorage": "1"}

    class Storage:
        def __init__(self, dtype):
            self.dtype = dtype

    class Tensor:
        def __init__(self, dtype, shape):
            self.dtype, self.shape = dtype, tuple(shape)

        def __reduce_ex__(self, protocol):
            stride, step = [], 1
            for size in reversed(self.shape):
                stride.insert(0, step)
                step *= size
            return (rebuild, (Storage(self.dtype), 0, self.shape, tuple(stride), False,
                              collections.OrderedDict()))

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", storage_types[obj.dtype], keys[obj.dtype], "cpu",
                        sizes[obj.dtype])
            return None

    state = collections.OrderedDict(
        (name, Tensor(dtype, shape)) for name, (dtype, shape) in tensors.items())
    saved = {name: sys.modules.get(name) for name in ("torch", "torch._utils")}
    sys.modules["torch"], sys.modules["torch._utils"] = torch_module, utils_module
    try:
        buffer = io.BytesIO()
        Pickler(buffer, protocol=2).dump(state)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", buffer.getvalue())
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/data/0", bytes(4 * sizes["FloatStorage"]))
        archive.writestr("archive/data/1", bytes(8 * sizes["LongStorage"]))
        archive.writestr("archive/version", "3\n")


def torchvision_resnet18_shapes():
    """The names and shapes of torchvision's resnet18().state_dict()."""
    shapes = {}

    def batch_norm(prefix, channels):
        for name in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{prefix}.{name}"] = ("FloatStorage", (channels,))
        shapes[f"{prefix}.num_batches_tracked"] = ("LongStorage", ())

    shapes["conv1.weight"] = ("FloatStorage", (64, 3, 7, 7))
    batch_norm("bn1", 64)
    channels = 64
    for layer, planes in enumerate((64, 128, 256, 512), start=1):
        for block in range(2):
            prefix = f"layer{layer}.{block}"
            shapes[f"{prefix}.conv1.weight"] = ("FloatStorage", (planes, channels, 3, 3))
            batch_norm(f"{prefix}.bn1", planes)
            shapes[f"{prefix}.conv2.weight"] = ("FloatStorage", (planes, planes, 3, 3))
            batch_norm(f"{prefix}.bn2", planes)
            if block == 0 and channels != planes:
                shapes[f"{prefix}.downsample.0.weight"] = ("FloatStorage", (planes, channels, 1, 1))
                batch_norm(f"{prefix}.downsample.1", planes)
            channels = planes
    shapes["fc.weight"] = ("FloatStorage", (1000, 512))
    shapes["fc.bias"] = ("FloatStorage", (1000,))
    return shapes


def rewrite_zip_member(source, target, member_suffix, old, new):
    """Copies a zip (a wsss checkpoint), replacing bytes `old` by `new` once in one member."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zout:
        found = False
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith(member_suffix):
                if data.count(old) != 1:
                    raise FaultFailed(f"{member_suffix} of {source} does not hold {old!r} once")
                data, found = data.replace(old, new), True
            zout.writestr(info.filename, data)
    if not found:
        raise FaultFailed(f"{source} has no member {member_suffix}")


# ---------------------------------------------------------------------------------------------
# One fault's folder, its commands and checks


class Fault:
    def __init__(self, name, folder, wsss, toy_cache):
        self.name, self.folder, self.wsss, self.toy_cache = name, Path(folder), wsss, toy_cache
        self.problems = []
        self.row = None  # (command, exit code, first error line) for the table
        self.logs = self.folder / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.count = 0

    # -- set-up ---------------------------------------------------------------------------
    def toy(self, name="toy"):
        """A copy of the toy dataset in this fault's folder."""
        target = self.folder / name
        shutil.copytree(self.toy_cache, target)
        return target

    def config(self, name="instant.yaml", root=None, extra=""):
        root = root if root is not None else self.folder / "toy"
        path = self.folder / name
        path.write_text(INSTANT.format(baseline=ROOT / "configs/toy/baseline.yaml", root=root) +
                        extra)
        return path

    def run(self, *args, env=None, timeout=COMMAND_TIMEOUT):
        command = [self.wsss] + [str(arg) for arg in args]
        self.count += 1
        start = time.monotonic()
        try:
            finished = subprocess.run(command, cwd=self.folder, capture_output=True, text=True,
                                      errors="replace", timeout=timeout,
                                      env=dict(os.environ, **(env or {})))
            result = Result(command, finished.returncode, finished.stdout, finished.stderr,
                            time.monotonic() - start)
        except subprocess.TimeoutExpired as expired:
            result = Result(command, None, str(expired.stdout or ""), str(expired.stderr or ""),
                            time.monotonic() - start)
        (self.logs / f"{self.count:02d}.log").write_text(
            " ".join(command) + f"\nexit {result.returncode}\n--- stdout\n{result.stdout}"
            f"--- stderr\n{result.stderr}")
        return result

    def good(self, *args, env=None):
        """A set-up command that must succeed."""
        result = self.run(*args, env=env)
        if result.returncode != 0:
            raise FaultFailed(f"set-up command failed ({result.returncode}): "
                              f"{self.show(result.command)}\n{result.output[-2000:]}")
        return result

    def trained(self, work="run", *overrides, config=None):
        """A short good run in work (2 steps: iter_000001.pt, iter_000002.pt, last.pt)."""
        config = config or self.folder / "instant.yaml"
        self.good("train", "--config", config, "--work-dir", self.folder / work, *overrides)
        return self.folder / work

    def show(self, command):
        text = " ".join(str(part) for part in command[1:])
        return "wsss " + text.replace(str(self.folder) + "/", "").replace(str(self.folder), ".")

    # -- checks -----------------------------------------------------------------------------
    def fail(self, message):
        self.problems.append(message)

    def check_no_crash(self, result):
        if result.returncode is None:
            self.fail(f"timed out after {COMMAND_TIMEOUT} s")
        for text in CRASH_TEXT:
            if text in result.output:
                self.fail(f"crash text {text!r} in the output")

    def check_error_line(self, result, culprit, says):
        error = result.error
        if not error:
            self.fail("no `error:` line on stderr")
            return
        if len([line for line in result.stderr.splitlines() if line.startswith("error:")]) > 1:
            self.fail("more than one `error:` line")
        for text in [culprit] + list(says):
            if text not in error:
                self.fail(f"the error line does not say {text!r}")

    def watched(self, action, *, may_change=(), may_create=("*",), exclude_new=("*.pt", "*.tmp")):
        """Runs action() between two snapshots of the fault's folder: a file present before
        must be byte-identical after (unless it matches may_change); a new file must match
        may_create and, unless it is listed there by name, not be a checkpoint or a
        temporary; nothing may appear inside a dataset (toy*/)."""
        before = snapshot(self.folder, "logs/")
        result = action()
        after = snapshot(self.folder, "logs/")
        for relative, digest in before.items():
            if matches(relative, may_change):
                continue
            if relative not in after:
                self.fail(f"{relative} was removed")
            elif after[relative] != digest:
                self.fail(f"{relative} was changed")
        for relative in sorted(set(after) - set(before)):
            named = [pattern for pattern in may_create if pattern != "*"]
            if relative.startswith("toy"):
                self.fail(f"{relative} appeared in the dataset")
            elif matches(relative, exclude_new) and not matches(relative, named):
                self.fail(f"{relative} appeared")
            elif not matches(relative, may_create):
                self.fail(f"{relative} appeared")
        return result

    def record(self, result, note=""):
        """The fault's row of the table: its command, exit code and error line, or for a fault
        handled by design a note on what happened instead."""
        self.row = (self.show(result.command), result.returncode, result.error or note)

    def expect_error(self, *args, culprit, says=(), returncode=1, env=None, **watch):
        """The fault's command: it must fail with `returncode` and an error line naming the
        culprit and saying each of `says`, and change nothing already written."""
        result = self.watched(lambda: self.run(*args, env=env), **watch)
        self.record(result)
        self.check_no_crash(result)
        if result.returncode != returncode:
            self.fail(f"exit code {result.returncode}, expected {returncode}")
        if result.returncode is not None and not 0 < result.returncode < 128:
            self.fail(f"exit code {result.returncode} is a signal's")
        self.check_error_line(result, culprit, says)
        return result

    def expect_success(self, *args, says=(), env=None, **watch):
        """A fault the binary handles by design: exit 0 and a log that says each of `says`."""
        watch.setdefault("exclude_new", ("*.tmp",))
        result = self.watched(lambda: self.run(*args, env=env), **watch)
        said = [line for line in result.output.splitlines() if says and says[0] in line]
        self.record(result, "(handled) " + (said[0] if said else "exit 0"))
        self.check_no_crash(result)
        if result.returncode != 0:
            self.fail(f"exit code {result.returncode}, expected 0: {result.error}")
        for text in says:
            if text not in result.output:
                self.fail(f"the output does not say {text!r}")
        return result

    def loadable(self, checkpoint):
        """The checkpoint is whole: wsss eval scores it."""
        scratch = self.folder / f"loadable-{self.count}"
        result = self.run("eval", "--config", self.folder / "instant.yaml", "--checkpoint",
                          checkpoint, "--work-dir", scratch)
        shutil.rmtree(scratch, ignore_errors=True)
        if result.returncode != 0:
            self.fail(f"{checkpoint} does not load: {result.error}")

    def iteration_of(self, checkpoint):
        """The iteration a checkpoint holds: the int after the key 'iteration' in its pickle."""
        with zipfile.ZipFile(checkpoint) as archive:
            data = archive.read("archive/data.pkl")
        found = False
        for opcode, argument, _ in pickletools.genops(data):
            if found and opcode.name in ("BININT", "BININT1", "BININT2", "LONG1"):
                return argument
            found = found or (opcode.name == "BINUNICODE" and argument == "iteration")
        raise FaultFailed(f"{checkpoint} holds no iteration")


# ---------------------------------------------------------------------------------------------
# The faults. Each takes its Fault, plants the fault in its folder and runs the command.

FAULTS = collections.OrderedDict()


def fault(function):
    FAULTS[function.__name__] = function
    return function


def train(f, *overrides, work="run"):
    """Arguments of a fresh instant run into work."""
    return ("train", "--config", f.folder / "instant.yaml", "--work-dir", f.folder / work,
            *overrides)


def image(f, item="JPEGImages", id_=BAD, ext=".jpg"):
    return f.folder / "toy" / item / (id_ + ext)


def mask(f, id_=BAD):
    return image(f, "SegmentationClassAug", id_, ".png")


def data_fault(f, plant):
    """The toy dataset and config with plant(f) applied."""
    f.toy()
    f.config()
    plant(f)


# -- images ------------------------------------------------------------------------------------


@fault
def zero_byte_jpeg(f):
    data_fault(f, lambda f: image(f).write_bytes(b""))
    f.expect_error(*train(f), culprit=f"JPEGImages/{BAD}.jpg", says=["is empty", "replace it"])


@fault
def zero_byte_jpeg_skipped(f):
    """data.on_error: skip leaves the image out, names it, and trains on."""
    data_fault(f, lambda f: image(f).write_bytes(b""))
    f.expect_success(*train(f, "data.on_error=skip", "train.batch_size=2"),
                     says=[f"JPEGImages/{BAD}.jpg"])


@fault
def truncated_jpeg(f):
    def plant(f):
        data = image(f).read_bytes()
        image(f).write_bytes(data[: len(data) // 2])
    data_fault(f, plant)
    f.expect_error(*train(f), culprit=f"JPEGImages/{BAD}.jpg", says=["truncated", "replace it"])


@fault
def png_named_jpg(f):
    """A PNG in JPEGImages named .jpg: images are decoded by content (docs/data.md), so it
    trains."""
    def plant(f):
        with Image.open(image(f)) as picture:
            picture.save(image(f), format="PNG")
    data_fault(f, plant)
    f.expect_success("data-check", "--config", f.folder / "instant.yaml",
                     says=["clean: no problems"])


@fault
def truncated_png_named_jpg(f):
    def plant(f):
        with Image.open(image(f)) as picture:
            picture.save(image(f), format="PNG")
        data = image(f).read_bytes()
        image(f).write_bytes(data[: len(data) - 30])
    data_fault(f, plant)
    f.expect_error(*train(f), culprit=f"JPEGImages/{BAD}.jpg", says=["truncated", "replace it"])


@fault
def one_by_one_image(f):
    """A 1 x 1 image where the mask is of the real size: a size mismatch naming both."""
    data_fault(f, lambda f: Image.new("RGB", (1, 1), (120, 30, 40)).save(image(f), "JPEG"))
    f.expect_error(*train(f), culprit=f"JPEGImages/{BAD}.jpg", says=["1x1", "regenerate the mask"])


def one_pixel(f, id_):
    Image.new("RGB", (1, 1), (120, 30, 40)).save(image(f, id_=id_), format="JPEG")
    for folder in ("SegmentationClassAug", "SegmentationClass"):
        if image(f, folder, id_, ".png").exists():
            write_png(image(f, folder, id_, ".png"), np.zeros((1, 1), np.uint8))


@fault
def one_by_one_image_and_mask(f):
    """A 1 x 1 image with a 1 x 1 mask, in the training and the val split: valid data, which
    training pads to the crop and evaluation scores (docs/data.md sets no minimum size)."""
    data_fault(f, lambda f: (one_pixel(f, BAD), one_pixel(f, BAD_VAL)))
    f.expect_success(*train(f, "eval.scales=[0.5,1]", "eval.flip=true"), says=["val mIoU"])


@fault
def mask_16_bit(f):
    def plant(f):
        values = np.asarray(Image.open(mask(f))).astype(np.uint16)
        Image.fromarray(values).save(mask(f))
    data_fault(f, plant)
    f.expect_error(*train(f), culprit=f"SegmentationClassAug/{BAD}.png",
                   says=["16-bit", "regenerate"])


@fault
def mask_rgb_off_palette(f):
    def plant(f):
        values = np.asarray(Image.open(mask(f)))
        colours = np.zeros(values.shape + (3,), np.uint8)
        colours[5, 7] = (1, 2, 3)
        write_png(mask(f), colours)
    data_fault(f, plant)
    f.expect_error(*train(f), culprit=f"SegmentationClassAug/{BAD}.png",
                   says=["(1, 2, 3)", "save masks as palette"])


@fault
def mask_value_outside_classes(f):
    def plant(f):
        values = np.array(Image.open(mask(f)))
        values[3, 3] = 9
        write_png(mask(f), values)
    data_fault(f, plant)
    f.expect_error(*train(f), culprit=f"SegmentationClassAug/{BAD}.png",
                   says=["value(s) 9", "check data.classes"])


@fault
def mask_wrong_size(f):
    def plant(f):
        values = np.array(Image.open(mask(f)))
        write_png(mask(f), values[:-3, :])
    data_fault(f, plant)
    f.expect_error(*train(f), culprit=f"SegmentationClassAug/{BAD}.png",
                   says=["regenerate the mask"])


@fault
def mask_wrong_size_in_eval(f):
    """A val mask of the wrong size, met by wsss eval run again with other settings: the
    earlier evaluation's metrics.json and config.yaml stay as they were."""
    f.toy()
    f.config()
    run = f.trained()
    checkpoint = run / "checkpoints/last.pt"
    f.good("eval", "--config", f.folder / "instant.yaml", "--checkpoint", checkpoint,
           "--work-dir", f.folder / "eval")
    target = mask(f, BAD_VAL)
    write_png(target, np.array(Image.open(target))[:, :-5])
    f.expect_error("eval", "--config", f.folder / "instant.yaml", "--checkpoint", checkpoint,
                   "--work-dir", f.folder / "eval", "eval.flip=true",
                   culprit=f"SegmentationClassAug/{BAD_VAL}.png",
                   says=["of split val"])


@fault
def missing_mask(f):
    def plant(f):
        mask(f).unlink()
        image(f, "SegmentationClass", ext=".png").unlink()
    data_fault(f, plant)
    f.expect_error(*train(f), culprit=BAD, says=["missing_mask", "add the mask"])


AAMR = ("aamr.enabled=true", "seg.warmup_iters=1")


@fault
def missing_saliency(f):
    data_fault(f, lambda f: image(f, "SALImages", ext=".png").unlink())
    f.expect_error(*train(f, *AAMR), culprit=f"SALImages/{BAD}.png",
                   says=["aamr", "switch aamr off"])


@fault
def saliency_wrong_size(f):
    def plant(f):
        path = image(f, "SALImages", ext=".png")
        write_png(path, np.array(Image.open(path))[:-4, :-4])
    data_fault(f, plant)
    f.expect_error(*train(f, *AAMR), culprit=f"SALImages/{BAD}.png",
                   says=["regenerate the map"])


@fault
def unreadable_predict_input(f):
    """wsss predict on a folder holding a zero-byte JPEG: the run stops naming it, and the
    labels already written for other images stay."""
    f.toy()
    f.config()
    checkpoint = f.trained() / "checkpoints/last.pt"
    inputs = f.folder / "inputs"
    inputs.mkdir()
    shutil.copy(image(f, id_=TRAIN_IDS[0]), inputs / "a.jpg")
    f.good("predict", "--config", f.folder / "instant.yaml", "--checkpoint", checkpoint,
           "--input", inputs, "--out", f.folder / "predicted")
    (inputs / "b.jpg").write_bytes(b"")
    f.expect_error("predict", "--config", f.folder / "instant.yaml", "--checkpoint", checkpoint,
                   "--input", inputs, "--out", f.folder / "predicted", culprit="inputs/b.jpg",
                   says=["data.on_error=skip"])


@fault
def unreadable_image_in_pseudo_rerun(f):
    """wsss pseudo run again, from a newer checkpoint and with other settings, over a split
    that has gone bad: it stops naming the image, and labels/, metrics.json and config.yaml of
    the earlier run stay as they were (no mixture of old and new labels)."""
    f.toy()
    f.config()
    run = f.trained()
    labels = ("pseudo", "--config", f.folder / "instant.yaml", "--work-dir", f.folder / "labels",
              "--checkpoint")
    f.good(*labels, run / "checkpoints/iter_000001.pt")
    image(f, id_=TRAIN_IDS[-1]).write_bytes(b"")
    f.expect_error(*labels, run / "checkpoints/last.pt", "cci.mode=agnostic",
                   culprit=f"JPEGImages/{TRAIN_IDS[-1]}.jpg", says=["is empty"])
    if (f.folder / "labels/labels.partial").exists():
        f.fail("labels.partial/ was left behind")


@fault
def pseudo_dir_missing(f):
    f.toy()
    f.config()
    f.expect_error(*train(f, "supervision=pseudo_dir", "pseudo.dir=nothere"), culprit="nothere",
                   says=["pseudo.dir"])


@fault
def pseudo_dir_label_wrong_size(f):
    """A pseudo-label PNG of the wrong size in the folder supervision: pseudo_dir trains on."""
    f.toy()
    f.config()
    run = f.trained()
    f.good("pseudo", "--config", f.folder / "instant.yaml", "--work-dir", f.folder / "labels",
           "--checkpoint", run / "checkpoints/last.pt")
    label = f.folder / "labels/labels" / f"{BAD}.png"
    write_png(label, np.array(Image.open(label))[:-2, :])
    width, height = image_size(label)
    f.expect_error(*train(f, "supervision=pseudo_dir", f"pseudo.dir={f.folder}/labels/labels",
                          work="second"),
                   culprit=f"labels/{BAD}.png", says=[f"is {width}x{height} but image"])


@fault
def duplicate_class_names(f):
    def plant(f):
        path = f.folder / "toy/classes.txt"
        path.write_text(path.read_text() + "cat\n")
    data_fault(f, plant)
    f.expect_error(*train(f), culprit="classes.txt", says=["'cat' twice", "remove the repeat"])


# -- annotations and lists ---------------------------------------------------------------------


@fault
def malformed_xml(f):
    def plant(f):
        path = image(f, "Annotations", ext=".xml")
        path.write_text(path.read_text().replace("</annotation>", ""))
    data_fault(f, plant)
    f.expect_error(*train(f), culprit=f"Annotations/{BAD}.xml",
                   says=["not well-formed", "replace it"])


@fault
def xml_unknown_class(f):
    def plant(f):
        path = image(f, "Annotations", ext=".xml")
        text = path.read_text()
        start = text.index("<name>", text.index("<object>"))
        end = text.index("</name>", start)
        path.write_text(text[:start] + "<name>unicorn" + text[end:])
    data_fault(f, plant)
    f.expect_error(*train(f), culprit=f"Annotations/{BAD}.xml",
                   says=["unicorn", "set data.classes"])


def split(f, name="train_aug"):
    return f.folder / "toy/ImageSets/Segmentation" / f"{name}.txt"


@fault
def empty_split(f):
    data_fault(f, lambda f: split(f).write_text(""))
    f.expect_error(*train(f), culprit="ImageSets/Segmentation/train_aug.txt",
                   says=["empty", "data.train_split"])


@fault
def missing_split(f):
    data_fault(f, lambda f: None)
    f.expect_error(*train(f, "data.train_split=nosuch"),
                   culprit="ImageSets/Segmentation/nosuch.txt",
                   says=["train_aug", "check data.root and the split name"])


@fault
def split_names_missing_image(f):
    data_fault(f, lambda f: split(f).write_text(split(f).read_text() + "2099_000001\n"))
    # Two problems (no image, so no mask either) are listed under the line naming the id.
    result = f.expect_error(*train(f), culprit="2099_000001", says=["of split train_aug"])
    if "JPEGImages/2099_000001.jpg does not exist" not in result.stderr:
        f.fail("the error does not name the missing file")


@fault
def duplicate_ids(f):
    data_fault(f, lambda f: split(f).write_text(split(f).read_text() + BAD + "\n"))
    f.expect_error(*train(f), culprit=BAD, says=["train_aug.txt", "remove the repeated lines"])


@fault
def duplicate_ids_data_check(f):
    """wsss data-check reports the duplicate and exits 1; its earlier report stays until it
    is rewritten, and the dataset is untouched."""
    data_fault(f, lambda f: split(f).write_text(split(f).read_text() + BAD + "\n"))
    f.expect_error("data-check", "--config", f.folder / "instant.yaml", "--work-dir",
                   f.folder / "check", culprit="duplicate_id x1 (first 2007_000002",
                   says=["train_aug.txt", "run data-check again"])


POINTS = ("supervision=points", "pseudo.source=points", "cls.weight=0", "point.warmup_iters=1")


def points(f):
    return f.folder / "toy/points.json"


def edit_points(f, change):
    clicks = json.loads(points(f).read_text())
    change(clicks)
    points(f).write_text(json.dumps(clicks))


@fault
def points_not_json(f):
    data_fault(f, lambda f: points(f).write_text("{\"2007_000001\": [{\"x\": 3,"))
    f.expect_error(*train(f, *POINTS), culprit="points.json", says=["line 1", "fix it"])


@fault
def click_off_image(f):
    def plant(f):
        width, height = image_size(image(f))
        edit_points(f, lambda clicks: clicks[BAD].append(
            {"x": float(width + 5), "y": 1.0, "rank": 1, "cls": 0}))
    data_fault(f, plant)
    width, height = image_size(image(f))
    f.expect_error(*train(f, *POINTS), culprit=BAD,
                   says=["points.json", f"outside the {width}x{height} image"])


@fault
def click_unknown_class(f):
    def plant(f):
        edit_points(f, lambda clicks: clicks[BAD].append(
            {"x": 1.0, "y": 1.0, "rank": 1, "cls": 9}))
    data_fault(f, plant)
    f.expect_error(*train(f, *POINTS), culprit=BAD,
                   says=["points.json", "cls 9", "cls is 1..C"])


@fault
def missing_points_file(f):
    data_fault(f, lambda f: points(f).unlink())
    f.expect_error(*train(f, *POINTS), culprit="points.json",
                   says=["data.points_file", "or switch point off"])


# -- configs -----------------------------------------------------------------------------------


def config_fault(f, text, *command):
    f.toy()
    f.config()
    path = f.folder / "bad.yaml"
    path.write_text(text.format(instant=f.folder / "instant.yaml"))
    return (command or ("train",)) + ("--config", path, "--work-dir", f.folder / "run")


@fault
def unknown_key(f):
    args = config_fault(f, "base: {instant}\ntrain:\n  iteratons: 3\n")
    f.expect_error(*args, culprit="train.iteratons", says=["did you mean train.iterations"])


@fault
def wrong_type(f):
    args = config_fault(f, "base: {instant}\ntrain:\n  batch_size: \"2\"\n")
    f.expect_error(*args, culprit="train.batch_size", says=["expected an integer", "bad.yaml"])


@fault
def base_cycle(f):
    (f.folder / "sub").mkdir()
    (f.folder / "sub/b.yaml").write_text("base: ../bad.yaml\n")
    args = config_fault(f, "base: sub/b.yaml\n", "config")
    f.expect_error(*args[:3], culprit="cycle in base", says=["bad.yaml", "sub/b.yaml"])


@fault
def missing_base(f):
    args = config_fault(f, "base: nothere.yaml\n")
    f.expect_error(*args, culprit="nothere.yaml", says=["bad.yaml"])


@fault
def yaml_syntax_error(f):
    args = config_fault(f, "base: {instant}\ntrain: [iterations: 3\n")
    f.expect_error(*args, culprit="bad.yaml", says=["line"])


@fault
def nan_learning_rate(f):
    f.toy()
    f.config()
    f.expect_error(*train(f, "train.lr=.nan"), culprit="train.lr", says=[".nan"])


@fault
def negative_learning_rate(f):
    f.toy()
    f.config()
    f.expect_error(*train(f, "train.lr=-0.1"), culprit="train.lr", says=["must be >= 0"])


@fault
def crop_larger_than_images(f):
    """A crop larger than the largest image (240): training crops are always padded (255,
    ignored), so this trains as VOC's crops of small images do."""
    f.toy()
    f.config()
    f.expect_success(*train(f, "data.augment.crop_size=256", "train.iterations=1"),
                     says=["done: 1 iterations"])


@fault
def empty_eval_scales(f):
    f.toy()
    f.config()
    checkpoint = f.trained() / "checkpoints/last.pt"
    f.expect_error("eval", "--config", f.folder / "instant.yaml", "--checkpoint", checkpoint,
                   "--work-dir", f.folder / "eval", "eval.scales=[]", culprit="eval.scales")


@fault
def config_is_a_checkpoint(f):
    """--config given a checkpoint (a zip archive) instead of a YAML file."""
    f.toy()
    f.config()
    checkpoint = f.trained() / "checkpoints/last.pt"
    f.expect_error("train", "--config", checkpoint, "--work-dir", f.folder / "second",
                   culprit="last.pt", says=["not YAML text", "--checkpoint"])


@fault
def missing_data_root(f):
    f.toy()
    f.config()
    f.expect_error(*train(f, "data.root=nosuch"), culprit="nosuch", says=["data.root"])


@fault
def override_without_value(f):
    f.toy()
    f.config()
    f.expect_error(*train(f, "train.iterations"), culprit="train.iterations",
                   says=["key.sub=value"])


# -- checkpoints -------------------------------------------------------------------------------


def eval_args(f, checkpoint, work="eval", *overrides):
    return ("eval", "--config", f.folder / "instant.yaml", "--checkpoint", checkpoint,
            "--work-dir", f.folder / work, *overrides)


def checkpoint_fault(f, damage):
    """A good run, then a copy of its last.pt damaged by damage(bytes) -> bytes."""
    f.toy()
    f.config()
    run = f.trained()
    damaged = f.folder / "damaged.pt"
    damaged.write_bytes(damage((run / "checkpoints/last.pt").read_bytes()))
    return damaged


@fault
def truncated_checkpoint(f):
    damaged = checkpoint_fault(f, lambda data: data[: len(data) // 2])
    f.expect_error(*eval_args(f, damaged), culprit="damaged.pt",
                   says=["damaged", "name an intact one"])


@fault
def zero_byte_checkpoint(f):
    damaged = checkpoint_fault(f, lambda data: b"")
    f.expect_error(*train(f, "train.iterations=4", "--resume", damaged), culprit="damaged.pt",
                   says=["damaged", "name an intact one"])


@fault
def checkpoint_of_another_network(f):
    f.toy()
    f.config()
    checkpoint = f.trained() / "checkpoints/last.pt"
    f.expect_error(*eval_args(f, checkpoint, "eval", "model.scratch_width=16"),
                   culprit="model.scratch_width",
                   says=["8 -> 16", "Use the config it was trained with"])


@fault
def checkpoint_of_another_network_pseudo(f):
    """A checkpoint whose saved config is lost (another network's weights under this
    config's name) read by wsss pseudo."""
    f.toy()
    f.config()
    other = f.trained("other", "model.scratch_width=16")
    f.expect_error("pseudo", "--config", f.folder / "instant.yaml", "--checkpoint",
                   other / "checkpoints/last.pt", "--work-dir", f.folder / "labels",
                   culprit="model.scratch_width", says=["16 -> 8"])


@fault
def future_checkpoint_version(f):
    f.toy()
    f.config()
    run = f.trained()
    future = f.folder / "future.pt"
    old = b"X\x0e\x00\x00\x00format_versionq\x01K\x01"
    rewrite_zip_member(run / "checkpoints/last.pt", future, "data.pkl", old, old[:-1] + b"\x63")
    f.expect_error(*eval_args(f, future), culprit="future.pt",
                   says=["version 99", "use the wsss version that wrote it"])


@fault
def resume_without_last(f):
    f.toy()
    f.config()
    f.expect_error(*train(f, "--resume"), culprit="run/checkpoints/last.pt",
                   says=["--resume FILE"])


@fault
def fresh_run_over_a_run(f):
    """train without --resume into a folder that holds a run: refused, its checkpoints kept."""
    f.toy()
    f.config()
    f.trained()
    f.expect_error(*train(f), culprit="run", says=["already holds a run", "--resume"])


@fault
def resume_corrupt_last_with_intact_iter(f):
    """last.pt damaged, iter_000002.pt whole: --resume refuses last.pt and names the newest
    intact iter_*.pt to continue from."""
    f.toy()
    f.config()
    run = f.trained()
    last = run / "checkpoints/last.pt"
    last.write_bytes(last.read_bytes()[:1000])
    f.expect_error(*train(f, "train.iterations=4", "--resume"), culprit="last.pt",
                   says=["--resume", "iter_000002.pt"])


@fault
def resume_changes_the_network(f):
    f.toy()
    f.config()
    f.trained()
    f.expect_error(*train(f, "--resume", "train.iterations=4", "model.scratch_width=16"),
                   culprit="model.scratch_width", says=["8 -> 16", "new work dir"])


@fault
def resume_past_the_schedule(f):
    f.toy()
    f.config()
    f.trained()
    f.expect_error(*train(f, "--resume", "train.iterations=1"), culprit="train.iterations",
                   says=["step 2", "raise train.iterations"])


@fault
def eval_missing_checkpoint(f):
    f.toy()
    f.config()
    f.expect_error(*eval_args(f, f.folder / "nothere.pt"), culprit="nothere.pt",
                   says=["does not exist"])


@fault
def predict_missing_input(f):
    f.toy()
    f.config()
    checkpoint = f.trained() / "checkpoints/last.pt"
    f.expect_error("predict", "--config", f.folder / "instant.yaml", "--checkpoint", checkpoint,
                   "--input", f.folder / "nowhere", "--out", f.folder / "predicted",
                   culprit="nowhere", says=["does not exist"])


# -- runs --------------------------------------------------------------------------------------


@fault
def non_finite_loss(f):
    """A resumed run whose first step is NaN (an infinite normalisation mean): nothing of the
    step is written, the checkpoints are the last good ones (config.yaml is rewritten on
    resume, docs/training.md)."""
    f.toy()
    f.config()
    f.trained()
    f.expect_error(*train(f, "--resume", "train.iterations=4", "data.augment.mean=[.inf,0,0]"),
                   culprit="iteration 3", says=["non-finite loss", "Lower train.lr"],
                   may_change=["run/config.yaml"])


@fault
def metrics_torn_last_line(f):
    """metrics.jsonl ending in a line cut short (a kill or a full disk during its append):
    --resume drops the torn line, so every line of the resumed run's file is JSON."""
    f.toy()
    f.config()
    run = f.trained()
    metrics = run / "metrics.jsonl"
    metrics.write_bytes(metrics.read_bytes()[:-40])
    f.expect_success(*train(f, "--resume", "train.iterations=4"), says=["resumed from"],
                     may_change=["run/config.yaml", "run/metrics.jsonl", "run/checkpoints/*"])
    for number, line in enumerate(metrics.read_text().splitlines(), start=1):
        try:
            json.loads(line)
        except ValueError:
            f.fail(f"metrics.jsonl line {number} is not JSON: {line[:80]}")


@fault
def corrupt_tensorboard_file(f):
    """A TensorBoard event file with a damaged record, met when a resumed run reads which
    steps it holds."""
    f.toy()
    f.config()
    run = f.trained("run", "train.tensorboard=true")
    events = next((run / "tensorboard").iterdir())
    data = events.read_bytes()
    events.write_bytes(data[:40] + b"garbage" * 4 + data[40:])
    f.expect_error(*train(f, "--resume", "train.iterations=4", "train.tensorboard=true"),
                   culprit=events.name, says=["move the file out"],
                   may_change=["run/config.yaml"])


@fault
def unwritable_work_dir(f):
    f.toy()
    f.config()
    (f.folder / "file").write_text("a file, not a folder\n")
    f.expect_error(*train(f, work="file/run"), culprit="file/run",
                   says=["Not a directory", "choose a location"])


@fault
def unwritable_eval_work_dir(f):
    f.toy()
    f.config()
    checkpoint = f.trained() / "checkpoints/last.pt"
    (f.folder / "file").write_text("a file, not a folder\n")
    f.expect_error(*eval_args(f, checkpoint, "file/eval"), culprit="file/eval",
                   says=["Not a directory", "choose a --work-dir"])


@fault
def disk_full_during_checkpoint(f):
    """The checkpoint write of step 3 fails as a full disk would: the error names the file and
    what to do, no part of it is left, the earlier checkpoints are whole."""
    f.toy()
    f.config()
    run = f.trained()
    f.expect_error(*train(f, "--resume", "train.iterations=4"), culprit="iter_000003.pt",
                   says=["No space left on device", "free space and run again"],
                   env={"WSSS_FAULT_WRITE": "enospc:iter_000003.pt"},
                   may_change=["run/config.yaml", "run/metrics.jsonl"])
    f.loadable(run / "checkpoints/last.pt")
    if f.iteration_of(run / "checkpoints/last.pt") != 2:
        f.fail("last.pt is not the step-2 checkpoint")
    # With room on the disk again, --resume finishes the run.
    resumed = f.run(*train(f, "--resume", "train.iterations=4"))
    if resumed.returncode != 0 or f.iteration_of(run / "checkpoints/last.pt") != 4:
        f.fail(f"the resume after the full disk failed ({resumed.returncode}): {resumed.error}")


@fault
def sigkill_during_checkpoint_rename(f):
    """SIGKILL between writing last.pt's temporary and renaming it (step 3): the earlier
    checkpoints are whole, and --resume continues from the newest one."""
    f.toy()
    f.config()
    run = f.trained()
    result = f.watched(
        lambda: f.run(*train(f, "--resume", "train.iterations=4"),
                      env={"WSSS_FAULT_WRITE": "kill:last.pt"}),
        may_change=["run/config.yaml", "run/metrics.jsonl"],
        may_create=["run/checkpoints/iter_000003.pt", "run/checkpoints/last.pt.tmp"])
    f.record(result, "(killed as planned; --resume then finished from step 2)")
    if result.returncode != -signal.SIGKILL:
        f.fail(f"exit code {result.returncode}, expected the SIGKILL's")
    if f.iteration_of(run / "checkpoints/last.pt") != 2:
        f.fail("last.pt is not the step-2 checkpoint after the kill")
    for name in ("iter_000001.pt", "iter_000002.pt", "iter_000003.pt", "last.pt"):
        f.loadable(run / "checkpoints" / name)
    resumed = f.run(*train(f, "--resume", "train.iterations=4"))
    f.check_no_crash(resumed)
    if resumed.returncode != 0:
        f.fail(f"the resume after the kill failed ({resumed.returncode}): {resumed.error}")
    elif f.iteration_of(run / "checkpoints/last.pt") != 4:
        f.fail("the resumed run did not reach step 4")
    if (run / "checkpoints/last.pt.tmp").exists():
        f.fail("the resumed run left last.pt.tmp behind")


@fault
def sigterm_during_evaluation(f):
    """SIGTERM while the step-2 evaluation runs (12 val images at 9 scales, flipped, with the
    CRF: seconds, against the milliseconds the signal takes to follow the step's line in
    metrics.jsonl, written just before): the evaluation finishes, last.pt is saved at step 2,
    exit 143 (docs/training.md); the checkpoints written before stay; --resume finishes the
    run."""
    f.good("toy-data", "--out", f.folder / "toy", "--train", "4", "--val", "12")
    f.config()
    run = f.folder / "run"
    args = train(f, "train.iterations=4", "train.eval_interval=2",
                 "eval.scales=[0.5,0.75,1,1.25,1.5,1.75,2,2.5,3]", "eval.flip=true",
                 "eval.crf=true")
    log = f.logs / "sigterm.log"
    with open(log, "w") as out:
        process = subprocess.Popen([f.wsss] + [str(a) for a in args], cwd=f.folder,
                                   stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        metrics = run / "metrics.jsonl"
        while process.poll() is None and time.monotonic() < deadline:
            if metrics.exists() and '"iteration":2,' in metrics.read_text():
                break
            time.sleep(0.01)
        before = snapshot(run / "checkpoints", "last.pt")
        process.send_signal(signal.SIGTERM)
        try:
            returncode = process.wait(timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            returncode = process.wait()
    output = log.read_text()
    result = Result([f.wsss] + list(args), returncode, "", output, 0)
    stopped = [line for line in output.splitlines() if "stopped by signal" in line]
    f.record(result, "(handled) " + (stopped[0] if stopped else ""))
    f.check_no_crash(result)
    if returncode != 128 + signal.SIGTERM:
        f.fail(f"exit code {returncode}, expected 143")
    if "stopped by signal 15 at iteration 2" not in output:
        f.fail("the run did not stop after step 2, whose evaluation the signal met")
    if "continue with --resume" not in output:
        f.fail("the log does not say how to continue")
    if "val mIoU" not in output:
        f.fail("the evaluation in flight did not finish")
    if (run / "checkpoints/iter_000003.pt").exists():
        f.fail("a step after the signal was checkpointed")
    after = snapshot(run / "checkpoints", "last.pt")
    if any(after.get(name) != digest for name, digest in before.items()):
        f.fail("a checkpoint written before the signal changed")
    if f.iteration_of(run / "checkpoints/last.pt") != 2:
        f.fail("last.pt is not the step-2 checkpoint")
    resumed = f.run(*train(f, "--resume", "train.iterations=4", "train.eval_interval=2"))
    if resumed.returncode != 0:
        f.fail(f"the resume failed ({resumed.returncode}): {resumed.error}")


@fault
def missing_pretrained(f):
    f.toy()
    f.config()
    f.expect_error(*train(f, "model.backbone=resnet18", "model.pretrained=nothere.pt"),
                   culprit="nothere.pt",
                   says=["model.pretrained", "torch.save(torchvision"])


@fault
def pretrained_of_another_depth(f):
    f.toy()
    f.config()
    write_torch_state_dict(f.folder / "resnet18.pt", torchvision_resnet18_shapes())
    f.expect_error(*train(f, "model.backbone=resnet34", "model.pretrained=resnet18.pt",
                          "model.seg_channels=16"),
                   culprit="resnet18.pt",
                   says=["layer1.2.conv1.weight", "is model.backbone the architecture"])


@fault
def unknown_command(f):
    f.expect_error("trian", "--config", "x.yaml", culprit="trian", says=["train"],
                   returncode=2)


# ---------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wsss", required=True, help="the binary under test")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run these faults only")
    parser.add_argument("--keep", action="store_true", help="keep the fault folders")
    parser.add_argument("--tmp", help="root of the fault folders (default: a new temp dir)")
    parser.add_argument("--list", action="store_true", help="list the faults and exit")
    args = parser.parse_args()
    if args.list:
        print("\n".join(FAULTS))
        return 0
    unknown = [name for name in args.only or [] if name not in FAULTS]
    if unknown:
        parser.error("unknown faults: " + ", ".join(unknown))
    wsss = str(Path(args.wsss).resolve())
    root = Path(args.tmp).resolve() if args.tmp else Path(tempfile.mkdtemp(prefix="wsss-faults-"))
    root.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    rows, failures = [], []
    toy_cache = root / "_toy"
    shutil.rmtree(toy_cache, ignore_errors=True)
    subprocess.run([wsss, "toy-data", "--out", toy_cache, "--train", "4", "--val", "2",
                    "--seed", "0"], check=True, capture_output=True)
    for name in args.only or FAULTS:
        folder = root / name
        shutil.rmtree(folder, ignore_errors=True)
        f = Fault(name, folder, wsss, toy_cache)
        began = time.monotonic()
        try:
            FAULTS[name](f)
        except FaultFailed as error:
            f.fail(str(error))
        except Exception as error:  # a bug of the corpus itself, reported as the fault's
            f.fail(f"{type(error).__name__}: {error}")
        seconds = time.monotonic() - began
        command, code, error = f.row or ("", "", "")
        rows.append((name, command, code, error, f.problems))
        if f.problems:
            failures.append((name, f.problems, folder))
        elif not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        print(f"{'FAIL' if f.problems else 'ok  '} {name} ({seconds:.1f} s)", file=sys.stderr,
              flush=True)
    # A failed fault's folder stays for a look (its commands' output is in logs/).
    if not args.keep:
        shutil.rmtree(toy_cache, ignore_errors=True)
        if not failures and not args.tmp:
            shutil.rmtree(root, ignore_errors=True)

    print(f"\n{'fault':38} {'exit':>5}  first error line")
    for name, command, code, error, problems in rows:
        mark = "FAIL " if problems else ""
        print(f"{mark + name:38} {str(code):>5}  {error[:160]}")
        print(f"{'':38} {'':5}  $ {command}")
    print(f"\n{len(rows)} faults, {len(failures)} failed, {time.monotonic() - start:.0f} s")
    for name, problems, folder in failures:
        print(f"\nFAILED {name} ({folder}):")
        for problem in problems:
            print(f"  - {problem}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
