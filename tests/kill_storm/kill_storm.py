#!/usr/bin/env python3
"""Kill storm: a CPU training run killed many times at random moments, resumed each time, must
end exactly where an unbroken run ends.

  kill_storm.py --wsss build/wsss --signal KILL|TERM [KILL|TERM] --kills 20 [--seed N]
                [--tmp DIR] [--keep] [--iterations 200] [--quick] [--final-eval-kill]
                [--lost-evals fail|warn] [--binary-check all|last]

What it does:
  1. writes a small synthetic dataset (`wsss toy-data`, 64 train / 48 val images) and trains
     configs/toy/baseline.yaml on it on the CPU with train.threads=1 (200 steps by default,
     about 40 s on two cores), a checkpoint every 10 steps (keep 3), an evaluation every 45
     steps and at the end (45 and 135 fall between checkpoints, 90 and 180 on one): the
     uninterrupted reference run, watched to measure how long start-up, a step, a checkpoint
     write and an evaluation take;
  2. for each --signal, the same run from scratch, sent that signal --kills times (seeded
     plan), each launch after the first with --resume, until it completes. The kills are spread
     over the run and aimed at phases: some at start-up (before the training loop), some at a
     random moment in a step, some in a checkpoint write (the moment a `*.pt.tmp` appears in
     checkpoints/, or a random time after a checkpoint step), some in an evaluation (after the
     step is logged, before "val mIoU" is; a step's evaluation runs before its checkpoint).
     Just before each signal the
     phase is read off the process: an open `checkpoints/*.tmp` descriptor (/proc/PID/fd), the
     steps and evaluations it has logged, and whether the step's iter_NNNNNN.pt and last.pt are
     on disk; after a SIGKILL a `.tmp` left behind also counts as a kill inside a write;
  3. after every kill: every `*.pt` in checkpoints/ must load (torch.jit.load, the archive
     format LibTorch's OutputArchive writes); the exit code must be 128+9 (Python's -9) for
     SIGKILL, 143 for SIGTERM once the training loop runs (a SIGTERM then also saves last.pt at
     the step it finished), 0 when the signal came during the last step or after it; a SIGTERM
     before the handler exists (start-up) ends the process with -15, which is reported apart;
  4. at the end: every tensor of last.pt (network parameters and buffers, optimiser state,
     sampler and RNG state) torch.equal to the reference's, the same progress fields, the same
     loss curve (every "loss" and "lr" of metrics.jsonl) and the same evaluations, best.pt the
     reference's, every checkpoint on disk loading in Python and in the binary's own loader
     (`wsss eval --checkpoint`, whose mIoU must equal the reference's for last.pt).

Options: --quick is the ctest's size (80 steps of batch 4 on 96-pixel crops, evaluations at
25, 50, 75 and 80, about 30-50 s for both storms); --final-eval-kill adds one kill inside the
final evaluation; --lost-evals warn reports a differing evaluation history (evaluations, best.pt,
best_metric) without failing on it; --binary-check last scores only last.pt with `wsss eval`.

A SIGTERM during start-up, before the training loop installs its handler, ends the process
with -15 instead of 143; what start-up writes is written atomically, so nothing is lost.

It prints a table per storm (kill, time, aimed phase, phase hit, exit code, step reached,
checkpoint resumed from) with the kills per phase, and a verdict; it exits 1 naming every
failure, 2 on a usage or set-up error. Python 3 standard library plus torch (for reading
checkpoints).
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIG = os.path.join(ROOT, "configs", "toy", "baseline.yaml")
TOY_DATA = ["--train", "64", "--val", "48", "--seed", "0"]
POLL_S = 0.002

PHASES = ["start-up", "step", "checkpoint write", "evaluation", "end"]

STEP_RE = re.compile(r"\] iteration (\d+)/(\d+)")
TRAINING_RE = re.compile(r"\] training (\d+) iterations on ")
RESUMED_RE = re.compile(r"resumed from .* at iteration (\d+)")
EVAL_RE = re.compile(r"val mIoU \S+ at iteration (\d+)")
DONE_RE = re.compile(r"\] done: (\d+) iterations")
STOPPED_RE = re.compile(r"stopped by signal (\d+) at iteration (\d+)")

torch = None  # imported in main(), after the arguments are read


def now():
    return time.monotonic()


class Layout:
    """The run's schedule: which steps checkpoint and which evaluate."""

    def __init__(self, iterations, checkpoint_interval, eval_interval, keep, extra=()):
        self.n = iterations
        self.ci = checkpoint_interval
        self.ei = eval_interval
        self.keep = keep
        self.extra = list(extra)

    def is_checkpoint(self, k):
        return k % self.ci == 0 or k == self.n

    def is_eval(self, k):
        return (self.ei > 0 and k % self.ei == 0) or k == self.n

    def checkpoints(self):
        return [k for k in range(1, self.n + 1) if self.is_checkpoint(k)]

    def evals(self):
        return [k for k in range(1, self.n + 1) if self.is_eval(k)]

    def overrides(self, toy):
        return [
            f"data.root={toy}",
            "device=cpu",
            "train.threads=1",
            f"train.iterations={self.n}",
            f"train.checkpoint_interval={self.ci}",
            f"train.eval_interval={self.ei}",
            f"train.keep_checkpoints={self.keep}",
            "train.log_interval=1",
            "train.warmup_iters=10",
        ] + self.extra


class Launch:
    """One `wsss train` process and what it has logged and written, polled from outside."""

    def __init__(self, wsss, work, overrides, resume, log_path):
        self.work = work
        self.ckpt_dir = os.path.join(work, "checkpoints")
        self.log_path = log_path
        command = [wsss, "train", "--config", CONFIG, "--work-dir", work]
        if resume:
            command.append("--resume")
        self.command = command + overrides
        self.resume = resume
        self.start_ns = time.time_ns()
        self.log = open(log_path, "w")
        self.started = now()
        self.process = subprocess.Popen(self.command, cwd=ROOT, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        self.reader = open(log_path, "r", errors="replace")
        self.partial = ""
        self.steps = {}  # iteration -> when first seen logged
        self.last_step = None
        self.training_at = None
        self.resumed_at = None
        self.evals = {}
        self.done = False
        self.stopped_at = None

    # --- the log -------------------------------------------------------------------------
    def update(self):
        text = self.reader.read()
        if not text:
            return
        text = self.partial + text
        lines = text.split("\n")
        self.partial = lines.pop()
        t = now()
        for line in lines:
            m = STEP_RE.search(line)
            if m:
                k = int(m.group(1))
                self.steps.setdefault(k, t)
                self.last_step = k
                continue
            m = EVAL_RE.search(line)
            if m:
                self.evals.setdefault(int(m.group(1)), t)
                continue
            if TRAINING_RE.search(line):
                self.training_at = t
                continue
            m = RESUMED_RE.search(line)
            if m:
                self.resumed_at = int(m.group(1))
                continue
            if DONE_RE.search(line):
                self.done = True
                continue
            m = STOPPED_RE.search(line)
            if m:
                self.stopped_at = int(m.group(2))

    def exited(self):
        return self.process.poll() is not None

    # --- the checkpoint folder ------------------------------------------------------------
    def listing(self):
        files = {}
        try:
            with os.scandir(self.ckpt_dir) as entries:
                for entry in entries:
                    try:
                        files[entry.name] = entry.stat()
                    except FileNotFoundError:
                        pass
        except FileNotFoundError:
            pass
        return files

    def fresh_tmp(self, files=None):
        """The *.tmp files this launch is writing or left (modified since it started)."""
        files = self.listing() if files is None else files
        return sorted(name for name, st in files.items()
                      if name.endswith(".tmp") and st.st_mtime_ns >= self.start_ns)

    def open_tmp(self):
        """The checkpoints/*.tmp files the process holds open right now."""
        names = []
        fd_dir = f"/proc/{self.process.pid}/fd"
        try:
            for fd in os.listdir(fd_dir):
                try:
                    target = os.readlink(os.path.join(fd_dir, fd))
                except OSError:
                    continue
                if target.endswith(".tmp") and os.path.dirname(target) == self.ckpt_dir:
                    names.append(os.path.basename(target))
        except OSError:
            pass
        return names

    def checkpoint_complete(self, k, files=None):
        """Whether this launch has written step k's iter_NNNNNN.pt and then last.pt."""
        files = self.listing() if files is None else files
        it = files.get(f"iter_{k:06d}.pt")
        last = files.get("last.pt")
        if it is None or last is None or it.st_mtime_ns < self.start_ns:
            return False
        return last.st_mtime_ns >= it.st_mtime_ns and not self.fresh_tmp(files)

    def close(self):
        self.log.close()
        self.reader.close()


def wait_until(launch, predicate, timeout):
    """Polls until predicate() holds (True), the process exits or the time is up (False)."""
    deadline = now() + timeout
    while now() < deadline:
        launch.update()
        if predicate():
            return True
        if launch.exited():
            launch.update()
            return False
        time.sleep(POLL_S)
    return False


def classify(launch, layout):
    """The phase the process is in, read off it just before a signal: (phase, detail)."""
    open_tmp = launch.open_tmp()
    if open_tmp:
        return "checkpoint write", "writing " + ",".join(open_tmp)
    files = launch.listing()
    if launch.training_at is None:
        return "start-up", "before the training loop"
    k = launch.last_step
    if k is None:
        return "step", "first step of the launch"
    # A step's evaluation runs before its checkpoint (train/loop/training_hooks.cpp).
    if layout.is_eval(k) and k not in launch.evals:
        return "evaluation", f"evaluation at {k}"
    if layout.is_checkpoint(k) and not launch.checkpoint_complete(k, files):
        return "checkpoint write", f"checkpoint {k} (serialising or between files)"
    if k >= layout.n:
        return "end", "after the final evaluation"
    return "step", f"step {k + 1}"


# --- checkpoints ----------------------------------------------------------------------------

def load_checkpoint(path):
    """Everything in one checkpoint: tensors by name and the progress fields."""
    archive = torch.jit.load(path, map_location="cpu")
    tensors = dict(archive.named_parameters())
    tensors.update(dict(archive.named_buffers()))
    fields = {}
    for name in ("format_version", "iteration", "best_metric", "best_iteration", "config"):
        fields[name] = getattr(archive, name)
    return tensors, fields


def check_all_load(ckpt_dir):
    """{name: iteration} of every *.pt, and the list of (name, error) that did not load."""
    loaded, failed = {}, []
    if not os.path.isdir(ckpt_dir):
        return loaded, failed
    for name in sorted(os.listdir(ckpt_dir)):
        if not name.endswith(".pt"):
            continue
        try:
            _, fields = load_checkpoint(os.path.join(ckpt_dir, name))
            loaded[name] = fields["iteration"]
        except Exception as error:  # noqa: BLE001 - any failure to load is the finding
            failed.append((name, str(error).splitlines()[0][:200]))
    return loaded, failed


def tensor_group(name):
    if name.startswith("network."):
        return "network"
    if name.startswith("optimizer."):
        return "optimizer"
    if name.startswith("part_"):
        return "parts"
    return name  # sampler, rng_cpu


def compare_checkpoints(reference, other):
    """Differences between two checkpoints: a list of text lines (empty when equal)."""
    ref_tensors, ref_fields = load_checkpoint(reference)
    tensors, fields = load_checkpoint(other)
    problems = []
    for name in sorted(set(ref_tensors) | set(tensors)):
        if name not in tensors or name not in ref_tensors:
            problems.append(f"{tensor_group(name)}: {name} only in "
                            f"{'the reference' if name in ref_tensors else 'the storm run'}")
            continue
        a, b = ref_tensors[name].detach(), tensors[name].detach()
        if a.dtype != b.dtype or a.shape != b.shape or not torch.equal(a, b):
            if a.dtype == b.dtype and a.shape == b.shape and a.is_floating_point():
                diff = (a.double() - b.double()).abs().max().item()
                problems.append(f"{tensor_group(name)}: {name} differs (max |diff| {diff:.3g})")
            else:
                problems.append(f"{tensor_group(name)}: {name} differs")
    for key in ("format_version", "iteration", "best_metric", "best_iteration", "config"):
        if ref_fields[key] != fields[key]:
            shown = (ref_fields[key], fields[key]) if key != "config" else ("...", "...")
            problems.append(f"field {key}: reference {shown[0]!r}, storm {shown[1]!r}")
    return problems, len(ref_tensors)


# --- metrics.jsonl ------------------------------------------------------------------------------

def read_metrics(path):
    """(steps, evals, bad lines): steps as (iteration, loss, lr), evals as (iteration, eval)."""
    steps, evals, bad = [], [], []
    with open(path) as file:
        for number, line in enumerate(file, 1):
            try:
                record = json.loads(line)
            except ValueError:
                bad.append(number)
                continue
            if "loss" in record:
                steps.append((record["iteration"], record["loss"], record.get("lr")))
            if "eval" in record:
                evals.append((record["iteration"], record["eval"]))
    return steps, evals, bad


# --- the binary's own loader ------------------------------------------------------------------

def binary_eval(wsss, checkpoint, overrides, out):
    """`wsss eval --checkpoint`: (exit code, mIoU or None, output tail)."""
    result = subprocess.run([wsss, "eval", "--config", CONFIG, "--checkpoint", checkpoint,
                             "--work-dir", out] + overrides, cwd=ROOT, capture_output=True,
                            text=True)
    miou = None
    metrics = os.path.join(out, "metrics.json")
    if result.returncode == 0 and os.path.exists(metrics):
        with open(metrics) as file:
            miou = json.load(file).get("mIoU")
    return result.returncode, miou, (result.stdout + result.stderr)[-600:]


# --- the reference run ------------------------------------------------------------------------

def reference_run(wsss, work, overrides, layout):
    """Trains straight through, measuring the phases; returns the estimates."""
    launch = Launch(wsss, work, overrides, False, work + ".log")
    last_ino = None
    ino_changes = []  # when last.pt was replaced
    tmp_seen = {}     # name -> first seen
    tmp_durations = []
    while not launch.exited():
        launch.update()
        files = launch.listing()
        t = now()
        last = files.get("last.pt")
        if last is not None and last.st_ino != last_ino:
            last_ino = last.st_ino
            ino_changes.append(t)
        fresh = set(launch.fresh_tmp(files))
        for name in fresh - set(tmp_seen):
            tmp_seen[name] = t
        for name in set(tmp_seen) - fresh:
            tmp_durations.append(t - tmp_seen.pop(name))
        time.sleep(POLL_S)
    launch.update()
    code = launch.process.wait()
    launch.close()
    total = now() - launch.started
    if code != 0:
        with open(launch.log_path) as file:
            tail = file.read()[-3000:]
        sys.exit(f"error: the reference run failed ({code}):\n{tail}")
    steps = launch.steps
    gaps = [steps[k] - steps[k - 1] for k in range(2, layout.n + 1)
            if k in steps and k - 1 in steps
            and not layout.is_checkpoint(k - 1) and not layout.is_eval(k - 1)]
    checkpoint_times = []
    for k in layout.checkpoints():
        after = [t for t in ino_changes if k in steps and t >= steps[k]]
        if after:
            checkpoint_times.append(after[0] - steps[k])
    eval_times = []
    for k in layout.evals():
        if k not in launch.evals or k not in steps:
            continue
        begin = steps[k]
        if layout.is_checkpoint(k):
            after = [t for t in ino_changes if t >= steps[k]]
            begin = after[0] if after else begin
        eval_times.append(launch.evals[k] - begin)
    estimates = {
        "total_s": total,
        "startup_s": (launch.training_at or launch.started + 1.0) - launch.started,
        "step_s": statistics.median(gaps) if gaps else 0.2,
        "checkpoint_s": statistics.median(checkpoint_times) if checkpoint_times else 0.05,
        "tmp_write_s": statistics.median(tmp_durations) if tmp_durations else 0.02,
        "eval_s": statistics.median(eval_times) if eval_times else 0.5,
        "tmp_files_seen": len(tmp_durations),
    }
    return estimates


# --- the plan -----------------------------------------------------------------------------------

def make_plan(rng, kills, layout, signal_name):
    """A list of (aim, target iteration or None), in the order the kills are made."""
    if kills <= 0:
        return []
    share = {"start-up": 0.15, "checkpoint write": 0.3, "evaluation": 0.2}
    counts = {aim: (max(1, round(kills * part)) if kills >= 4 else 0)
              for aim, part in share.items()}
    counts["step"] = kills - sum(counts.values())
    while counts["step"] < 0:
        biggest = max(share, key=lambda aim: counts[aim])
        counts[biggest] -= 1
        counts["step"] += 1
    aimed = [aim for aim in ("step", "checkpoint write", "evaluation")
             for _ in range(counts[aim])]
    rng.shuffle(aimed)
    # A SIGKILL before the first checkpoint would leave nothing to resume; a SIGTERM saves one.
    low = 2 if signal_name == "TERM" else layout.ci + 1
    high = layout.n - 1
    evals = [k for k in layout.evals() if k < layout.n]
    checkpoints = [k for k in layout.checkpoints() if k < layout.n]
    targets = []
    for index, aim in enumerate(aimed):
        lo = low + (high - low) * index / len(aimed)
        hi = low + (high - low) * (index + 1) / len(aimed)
        t = int(rng.uniform(lo, hi))
        if aim == "checkpoint write":
            t = min([k for k in checkpoints if k >= t] or [checkpoints[-1]])
        elif aim == "evaluation":
            t = min([k for k in evals if k >= t] or [evals[-1]])
        targets.append((t, aim))
    targets.sort()
    plan = [(aim, t) for t, aim in targets]
    for _ in range(counts["start-up"]):
        plan.insert(rng.randint(0, len(plan)), ("start-up", None))
    return plan


def retarget(aim, target, resumed_at, layout, rng, remaining):
    """A target this launch can still reach (it starts after resumed_at), leaving steps for the
    `remaining` kills after it; with no step left to aim at, a start-up kill."""
    if aim == "start-up" or resumed_at >= layout.n - 1:
        return "start-up", None
    evals = [k for k in layout.evals() if k < layout.n]
    checkpoints = [k for k in layout.checkpoints() if k < layout.n]
    if aim == "evaluation":
        later = [k for k in evals if k > resumed_at and k >= target]
        if later:
            return aim, later[0]
        later = [k for k in evals if k > resumed_at]
        if later:
            return aim, later[0]
        aim = "step"
    if aim == "checkpoint write":
        later = [k for k in checkpoints if k > resumed_at and k >= target]
        if later:
            return aim, later[0]
        aim = "step"
    if target is None or target <= resumed_at:
        room = (layout.n - 1 - resumed_at) // (remaining + 1)
        target = resumed_at + 1 + rng.randint(0, max(0, min(layout.ci, room - 1)))
    return aim, min(target, layout.n - 1)


# --- one storm ----------------------------------------------------------------------------------

def storm(args, signal_name, work, overrides, layout, estimates, reference_work, rng):
    sig = signal.SIGKILL if signal_name == "KILL" else signal.SIGTERM
    plan = make_plan(rng, args.kills, layout, signal_name)
    if args.final_eval_kill:
        plan.append(("final evaluation", layout.n))
    rows, failures, notes = [], [], []
    started = now()
    launches = 0
    steps_run = 0
    timeout = max(180.0, 5 * estimates["total_s"])
    completed = False
    kill_index = 0
    while True:
        last = os.path.join(work, "checkpoints", "last.pt")
        resume = os.path.exists(last)
        resumed_at = 0
        if resume:
            try:
                resumed_at = load_checkpoint(last)[1]["iteration"]
            except Exception as error:  # noqa: BLE001
                failures.append(f"last.pt does not load before launch {launches + 1}: {error}")
                break
        elif launches > 0:
            notes.append(f"launch {launches + 1} starts afresh: no last.pt to resume")
        launches += 1
        log_path = os.path.join(work + f".launch{launches:02d}.log")
        launch = Launch(args.wsss, work, overrides, resume, log_path)
        row = None
        if kill_index < len(plan):
            aim, target = plan[kill_index]
            if aim == "final evaluation":
                target = layout.n
            else:
                aim, target = retarget(aim, target, resumed_at, layout, rng,
                                       len(plan) - kill_index - 1)
            kill_index += 1
            row = {"kill": kill_index, "launch": launches, "aim": aim, "target": target,
                   "resumed_from": resumed_at if resume else None}
            mode = ""
            if aim == "start-up":
                delay = rng.uniform(0.05, max(0.1, estimates["startup_s"]))
                reached = wait_until(launch, lambda: now() - launch.started >= delay, timeout)
            elif aim == "step":
                prior = target - 1
                reached = wait_until(
                    launch, lambda: (launch.last_step or resumed_at) >= prior
                    and launch.training_at is not None, timeout)
                if reached:
                    delay = rng.uniform(0, estimates["step_s"])
                    reached = wait_until(launch, lambda d=now() + delay: now() >= d, timeout)
            elif aim == "checkpoint write":
                if rng.random() < 0.5:
                    mode = "on .tmp"
                    reached = wait_until(
                        launch, lambda: (launch.last_step or 0) >= target
                        and (launch.fresh_tmp() or launch.checkpoint_complete(target)), timeout)
                    if reached:
                        delay = rng.uniform(0, estimates["tmp_write_s"])
                        reached = wait_until(launch, lambda d=now() + delay: now() >= d, timeout)
                else:
                    mode = "after step"
                    reached = wait_until(launch, lambda: (launch.last_step or 0) >= target,
                                         timeout)
                    if reached:
                        delay = rng.uniform(0, estimates["checkpoint_s"])
                        reached = wait_until(launch, lambda d=now() + delay: now() >= d, timeout)
            else:  # evaluation, final evaluation
                def in_eval():
                    # The evaluation starts as soon as its step is logged, before the step's
                    # checkpoint is written.
                    return (launch.last_step or 0) >= target
                reached = wait_until(launch, in_eval, timeout)
                if reached:
                    delay = rng.uniform(0, 0.6 * estimates["eval_s"])
                    reached = wait_until(launch, lambda d=now() + delay: now() >= d, timeout)
            row["mode"] = mode
            if reached and not launch.exited():
                phase, detail = classify(launch, layout)
                t_signal = now()
                launch.process.send_signal(sig)
                row.update(phase=phase, detail=detail, time=t_signal - started,
                           in_launch=t_signal - launch.started,
                           handler=launch.training_at is not None)
            else:
                row.update(phase="none", detail="process ended before the signal",
                           time=now() - started, in_launch=now() - launch.started,
                           handler=True)
        try:
            code = launch.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            launch.process.kill()
            code = launch.process.wait()
            failures.append(f"launch {launches} hung for {timeout:.0f} s")
        launch.update()
        launch.close()
        steps_run += len(launch.steps)
        fresh_left = launch.fresh_tmp()
        loaded, failed = check_all_load(os.path.join(work, "checkpoints"))
        for name, error in failed:
            failures.append(f"after launch {launches}: checkpoints/{name} does not load: {error}")
        if resume and loaded.get("last.pt") is not None and loaded["last.pt"] < resumed_at:
            failures.append(f"after launch {launches}: last.pt went back from {resumed_at} to "
                            f"{loaded['last.pt']}")
        if row is not None:
            if row["phase"] != "none" and fresh_left and signal_name == "KILL":
                row["detail"] += f"; left {','.join(fresh_left)}"
                row["phase"] = "checkpoint write"
            row["code"] = code
            row["step"] = launch.last_step if launch.last_step is not None else resumed_at
            row["saved"] = loaded.get("last.pt")
            row["tmp_left"] = fresh_left
            # The exit code the project documents.
            if row["phase"] == "none":
                expected = {0}
            elif signal_name == "KILL":
                expected = {-signal.SIGKILL, 128 + signal.SIGKILL}
            elif launch.done:
                expected = {0}
            elif not row["handler"]:
                expected = {-signal.SIGTERM, 128 + signal.SIGTERM}
            else:
                expected = {128 + signal.SIGTERM}
            row["expected"] = expected
            if code not in expected:
                failures.append(f"kill {row['kill']} ({signal_name} in {row['phase']}): exit "
                                f"code {code}, expected {' or '.join(map(str, sorted(expected)))}")
            if signal_name == "TERM" and code == 128 + signal.SIGTERM:
                if launch.last_step is not None and row["saved"] != launch.last_step:
                    failures.append(f"kill {row['kill']}: SIGTERM exit 143 but last.pt is at "
                                    f"{row['saved']}, the last step logged {launch.last_step}")
            if signal_name == "TERM" and code == -signal.SIGTERM:
                notes.append(f"kill {row['kill']}: SIGTERM at start-up ended the process by "
                             f"the signal's default action (-15), before its handler existed")
            rows.append(row)
            if code == 0:
                completed = launch.done
                if kill_index < len(plan) and not args.final_eval_kill:
                    notes.append(f"the run completed with {len(plan) - kill_index} planned "
                                 f"kills unused")
                break
        else:
            if code != 0:
                with open(log_path) as file:
                    tail = file.read()[-2000:]
                failures.append(f"the final launch {launches} exited {code}:\n{tail}")
            completed = code == 0 and launch.done
            break
        if launches > 3 * len(plan) + 5:
            failures.append("too many launches")
            break
    elapsed = now() - started
    if not completed:
        failures.append("the run never completed")
    verdict_lines = final_checks(args, work, reference_work, overrides, layout, failures, notes)
    return {"signal": signal_name, "rows": rows, "failures": failures, "notes": notes,
            "elapsed": elapsed, "launches": launches, "steps_run": steps_run,
            "checks": verdict_lines}


def final_checks(args, work, reference_work, overrides, layout, failures, notes):
    checks = []
    eval_failures = []  # the evaluation history: failures, or warnings with --lost-evals warn
    ref_ckpt = os.path.join(reference_work, "checkpoints")
    ckpt = os.path.join(work, "checkpoints")
    last = os.path.join(ckpt, "last.pt")
    if not os.path.exists(last):
        failures.append("no last.pt at the end")
        return checks
    # Every tensor of last.pt.
    problems, count = compare_checkpoints(os.path.join(ref_ckpt, "last.pt"), last)
    weights = [p for p in problems if p.startswith(("network", "parts"))]
    others = [p for p in problems if p not in weights]
    if weights:
        failures.append("final weights differ from the reference: " + "; ".join(weights[:5]))
    else:
        checks.append(f"last.pt network weights: bitwise equal to the reference")
    progress = [p for p in others if p.startswith("field best_")]
    state = [p for p in others if p not in progress]
    if state:
        failures.append("last.pt state differs: " + "; ".join(state[:5]))
    else:
        checks.append(f"last.pt: all {count} tensors (network, optimiser, sampler, RNG) and "
                      f"its iteration equal")
    if progress:
        eval_failures.append("last.pt best metric differs: " + "; ".join(progress))
    # best.pt.
    best, ref_best = os.path.join(ckpt, "best.pt"), os.path.join(ref_ckpt, "best.pt")
    if os.path.exists(ref_best):
        if not os.path.exists(best):
            failures.append("best.pt is missing")
        else:
            problems, _ = compare_checkpoints(ref_best, best)
            if problems:
                eval_failures.append("best.pt differs from the reference's: "
                                     + "; ".join(problems[:4]))
            else:
                checks.append("best.pt: equal to the reference's")
    # The iter files both runs have.
    names = sorted(n for n in os.listdir(ckpt) if n.startswith("iter_") and n.endswith(".pt"))
    ref_names = sorted(n for n in os.listdir(ref_ckpt) if n.startswith("iter_"))
    for name in sorted(set(names) & set(ref_names)):
        problems, _ = compare_checkpoints(os.path.join(ref_ckpt, name), os.path.join(ckpt, name))
        tensors = [p for p in problems if not p.startswith("field ")]
        if tensors:
            failures.append(f"{name} differs from the reference's: " + "; ".join(tensors[:3]))
        elif problems:
            # A SIGTERM after step k's evaluation rewrites iter_k.pt with the evaluation's best
            # metric; the unbroken run wrote it before the evaluation.
            notes.append(f"{name}: same tensors, other progress fields: " + "; ".join(problems))
    if set(names) != set(ref_names):
        notes.append(f"iter files: storm {names}, reference {ref_names}")
    leftovers = sorted(n for n in os.listdir(ckpt) if not n.endswith(".pt"))
    if leftovers:
        notes.append("left in checkpoints/: " + ", ".join(leftovers))
    # metrics.jsonl.
    ref_steps, ref_evals, _ = read_metrics(os.path.join(reference_work, "metrics.jsonl"))
    steps, evals, bad = read_metrics(os.path.join(work, "metrics.jsonl"))
    if bad:
        failures.append(f"metrics.jsonl lines {bad} are not JSON")
    if steps != ref_steps:
        iterations = [s[0] for s in steps]
        first = next((i for i, (a, b) in enumerate(zip(steps, ref_steps)) if a != b),
                     min(len(steps), len(ref_steps)))
        failures.append(f"loss curve differs: {len(steps)} step lines against "
                        f"{len(ref_steps)}, first difference at line {first + 1}"
                        + ("" if iterations == list(range(1, layout.n + 1))
                           else " (iterations not 1..N once each)"))
    else:
        checks.append(f"loss curve: {len(steps)} steps, every loss and lr equal")
    if evals != ref_evals:
        ref_at = {k: v for k, v in ref_evals}
        at = {k: v for k, v in evals}
        missing = sorted(set(ref_at) - set(at))
        extra = [k for k, _ in evals]
        differ = sorted(k for k in set(ref_at) & set(at) if ref_at[k] != at[k])
        eval_failures.append(f"evaluations differ: missing at {missing}, differ at {differ}, "
                             f"storm has {extra}")
    else:
        checks.append(f"evaluations: {len(evals)} equal ({[k for k, _ in evals]})")
    # The binary's own loader.
    targets = sorted(n for n in os.listdir(ckpt) if n.endswith(".pt"))
    if args.binary_check == "last":
        targets = ["last.pt"]
    scored = {}
    for name in targets:
        out = os.path.join(work + ".eval", name)
        code, miou, tail = binary_eval(args.wsss, os.path.join(ckpt, name), overrides, out)
        if code != 0:
            failures.append(f"wsss eval --checkpoint {name} exited {code}: {tail}")
        scored[name] = miou
    code, ref_miou, tail = binary_eval(args.wsss, os.path.join(ref_ckpt, "last.pt"), overrides,
                                       os.path.join(work + ".eval", "reference-last"))
    if code != 0:
        failures.append(f"wsss eval of the reference last.pt exited {code}: {tail}")
    elif scored.get("last.pt") != ref_miou:
        failures.append(f"wsss eval: last.pt mIoU {scored.get('last.pt')} against the "
                        f"reference's {ref_miou}")
    else:
        checks.append(f"wsss eval loads {', '.join(targets)}; last.pt mIoU {ref_miou} = "
                      f"the reference's")
    if args.lost_evals == "fail":
        failures.extend(eval_failures)
    else:
        notes.extend("WARN " + line for line in eval_failures)
    return checks


# --- the report -------------------------------------------------------------------------------

def print_report(result, estimates):
    print(f"\n== SIG{result['signal']} storm: {len(result['rows'])} signals, "
          f"{result['launches']} launches, {result['elapsed']:.1f} s "
          f"(reference {estimates['total_s']:.1f} s), {result['steps_run']} steps run "
          f"for the run's {result.get('n', '?')}")
    header = (f"{'kill':>4} {'launch':>6} {'time s':>7} {'+launch':>7}  {'aimed at':<22}"
              f"{'phase hit':<17}{'exit':>5} {'step':>5} {'ckpt':>5} {'from':>5}  detail")
    print(header)
    print("-" * len(header))
    for row in result["rows"]:
        aim = row["aim"] + (f" {row['target']}" if row["target"] is not None else "")
        if row.get("mode"):
            aim += "*" if row["mode"] == "on .tmp" else ""
        saved = row["saved"] if row["saved"] is not None else "-"
        start = row["resumed_from"] if row["resumed_from"] is not None else "new"
        print(f"{row['kill']:>4} {row['launch']:>6} {row['time']:>7.1f} {row['in_launch']:>7.2f}"
              f"  {aim:<22}{row['phase']:<17}{row['code']:>5} {row['step']:>5} {saved:>5} "
              f"{start:>5}  {row['detail']}")
    counts = {phase: 0 for phase in PHASES + ["none"]}
    for row in result["rows"]:
        counts[row["phase"]] = counts.get(row["phase"], 0) + 1
    print("kills per phase: " + ", ".join(f"{p} {c}" for p, c in counts.items() if c))
    print("(* = aimed at the moment a .tmp appeared; step = the last step the launch logged; "
          "ckpt = last.pt's iteration after it; from = the iteration it resumed from)")
    for line in result["checks"]:
        print("  ok   " + line)
    for line in result["notes"]:
        print("  note " + line)
    for line in result["failures"]:
        print("  FAIL " + line)
    print(f"verdict SIG{result['signal']}: " + ("PASS" if not result["failures"] else "FAIL"))


def main():
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()),
                                     epilog="See the top of this file for what it checks.")
    parser.add_argument("--wsss", required=True, help="the wsss binary")
    parser.add_argument("--signal", nargs="+", default=["KILL"],
                        help="KILL and/or TERM (one storm each, one reference run)")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tmp", help="folder for the runs (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the runs' folder")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--checkpoint-interval", type=int, default=10)
    parser.add_argument("--eval-interval", type=int, default=45)
    parser.add_argument("--quick", action="store_true",
                        help="the ctest's size: 80 steps of batch 4 on 96-pixel crops, "
                             "evaluations at 25, 50, 75, 80 on 24 val images")
    parser.add_argument("--final-eval-kill", action="store_true",
                        help="one more kill, inside the final evaluation")
    parser.add_argument("--lost-evals", choices=["fail", "warn"], default="fail",
                        help="whether an evaluation history that differs from the reference's "
                             "(evaluations lost to a kill, best.pt, best_metric) fails the "
                             "storm or is only reported")
    parser.add_argument("--binary-check", choices=["all", "last"], default="all",
                        help="checkpoints scored by `wsss eval` at the end")
    args = parser.parse_args()
    signals = [s.upper().replace("SIG", "") for s in args.signal]
    if "BOTH" in signals:
        signals = ["KILL", "TERM"]
    if any(s not in ("KILL", "TERM") for s in signals):
        parser.error("--signal takes KILL and/or TERM")
    args.wsss = os.path.abspath(args.wsss)
    if not os.access(args.wsss, os.X_OK):
        parser.error(f"--wsss {args.wsss} is not an executable")
    global torch
    try:
        import torch as torch_module
    except ImportError:
        print("error: torch is needed to read the checkpoints", file=sys.stderr)
        return 2
    torch = torch_module

    base = os.path.abspath(args.tmp) if args.tmp else tempfile.mkdtemp(prefix="kill_storm_")
    os.makedirs(base, exist_ok=True)
    toy_options = TOY_DATA
    if args.quick:
        layout = Layout(80, 10, 25, 3, ["train.batch_size=4", "data.augment.crop_size=96"])
        toy_options = ["--train", "64", "--val", "24", "--seed", "0"]
    else:
        layout = Layout(args.iterations, args.checkpoint_interval, args.eval_interval, 3)
    toy = os.path.join(base, "toy-" + "-".join(toy_options[1::2]))
    if not os.path.exists(os.path.join(toy, "classes.txt")):
        made = subprocess.run([args.wsss, "toy-data", "--out", toy] + toy_options,
                              capture_output=True, text=True)
        if made.returncode != 0:
            print(f"error: wsss toy-data failed:\n{made.stdout}{made.stderr}", file=sys.stderr)
            return 2
    overrides = layout.overrides(toy)
    print(f"kill storm in {base}: {layout.n} steps, checkpoints every {layout.ci} "
          f"(keep {layout.keep}), evaluations at {layout.evals()}, seed {args.seed}")
    print("command: " + " ".join([args.wsss, "train", "--config", CONFIG, "--work-dir", "DIR",
                                  "[--resume]"] + overrides))
    reference = os.path.join(base, "reference")
    shutil.rmtree(reference, ignore_errors=True)
    estimates = reference_run(args.wsss, reference, overrides, layout)
    print("reference: {total_s:.1f} s; start-up {startup_s:.2f} s, step {step_s:.3f} s, "
          "checkpoint (step line to last.pt) {checkpoint_s:.3f} s, one .tmp file "
          "{tmp_write_s:.3f} s ({tmp_files_seen} seen), evaluation {eval_s:.2f} s"
          .format(**estimates))
    results = []
    for index, signal_name in enumerate(signals):
        work = os.path.join(base, f"storm-{signal_name.lower()}")
        for path in (work, work + ".eval"):
            shutil.rmtree(path, ignore_errors=True)
        rng = random.Random(args.seed * 1000 + index)
        result = storm(args, signal_name, work, overrides, layout, estimates, reference, rng)
        result["n"] = layout.n
        print_report(result, estimates)
        results.append(result)
    failed = [r for r in results if r["failures"]]
    print("\nverdict: " + ("PASS" if not failed else "FAIL (" + ", ".join(
        f"SIG{r['signal']}: {len(r['failures'])} failures" for r in failed) + ")"))
    if args.keep or failed:
        print(f"runs kept in {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
