"""The Python side of gpu-check.sh: small checks and the report. Needs torch; upscale needs Pillow.

  finite METRICS_JSONL STEPS          every loss of every step finite, and STEPS steps logged
  compare CKPT_A CKPT_B PREFIX        the largest difference between two checkpoints' tensors,
                                      as figure lines PREFIX_max_abs_difference / PREFIX_equal
  figure-from-json FILE KEY NAME      a figure line NAME<TAB>value of KEY in a JSON file
  step-mean METRICS_JSONL KEY NAME    a figure line NAME<TAB>the mean of KEY over the step lines
                                      after the first (its warm-up)
  upscale SRC DST WIDTH HEIGHT N      a copy of a VOC-layout dataset with the first N images of
                                      train_aug and of val resized to WIDTH x HEIGHT
  report REPORT_DIR                   gpu-report.md and gpu-report.json from parts.tsv,
                                      figures.tsv and logs/; exit 1 when a part failed
"""
import json
import math
import os
import re
import shutil
import sys


def non_finite(value, path=""):
    """The dotted names of the non-finite numbers in a JSON value: null, as wsss writes them
    (and NaN / Infinity, as wsss wrote them before its JSON went through nlohmann/json)."""
    if value is None:
        return [path]
    if isinstance(value, float):
        return [] if math.isfinite(value) else [path]
    if isinstance(value, dict):
        return [bad for key, item in value.items() for bad in non_finite(item, f"{path}.{key}".strip("."))]
    return []


def finite(metrics_path, steps):
    steps_logged = []
    with open(metrics_path) as lines:
        for line in lines:
            record = json.loads(line)
            bad = non_finite(record)
            if bad:
                sys.exit(f"{metrics_path}: iteration {record.get('iteration')}: not finite: {bad}")
            if "loss" in record:
                steps_logged.append(record)
    if len(steps_logged) != int(steps):
        sys.exit(f"{metrics_path}: {len(steps_logged)} steps logged, expected {steps}")
    print(f"{len(steps_logged)} steps, every value finite; last: {json.dumps(steps_logged[-1])}")


def checkpoint_tensors(path):
    """Every tensor of a wsss checkpoint (a torch::serialize archive) by its dotted name."""
    import torch

    archive = torch.jit.load(path, map_location="cpu")
    tensors = {}
    for name, value in archive.named_parameters():
        tensors[name] = value.detach()
    for name, value in archive.named_buffers():
        tensors[name] = value.detach()
    return tensors


def compare(path_a, path_b, prefix):
    import torch

    a, b = checkpoint_tensors(path_a), checkpoint_tensors(path_b)
    if a.keys() != b.keys():
        sys.exit(f"the checkpoints hold different tensors: {sorted(a.keys() ^ b.keys())[:10]}")
    largest, where = 0.0, ""
    for name in a:
        if a[name].shape != b[name].shape:
            sys.exit(f"{name}: shapes {tuple(a[name].shape)} and {tuple(b[name].shape)}")
        if a[name].is_floating_point():
            difference = (a[name].double() - b[name].double()).abs().max().item() if a[name].numel() else 0.0
        else:
            difference = float((a[name] != b[name]).any().item())
        if difference > largest:
            largest, where = difference, name
    print(f"{prefix}_tensors\t{len(a)}")
    print(f"{prefix}_max_abs_difference\t{largest:g}")
    print(f"{prefix}_largest_at\t{where or '-'}")
    print(f"{prefix}_equal\t{'true' if largest == 0 else 'false'}")


def figure_from_json(path, key, name):
    with open(path) as file:
        value = json.load(file)[key]
    print(f"{name}\t{value}")


def step_mean(metrics_path, key, name):
    with open(metrics_path) as file:
        values = [record[key] for record in map(json.loads, file) if key in record]
    values = values[1:] or values
    print(f"{name}\t{sum(values) / len(values):.6g}" if values else f"{name}\tmissing")


def upscale(source, destination, width, height, count):
    from PIL import Image

    width, height, count = int(width), int(height), int(count)
    if os.path.exists(destination):
        shutil.rmtree(destination)
    lists = os.path.join(source, "ImageSets", "Segmentation")
    os.makedirs(os.path.join(destination, "ImageSets", "Segmentation"))
    for name in os.listdir(source):  # classes.txt and the like
        if os.path.isfile(os.path.join(source, name)) and name != "points.json":
            shutil.copy(os.path.join(source, name), os.path.join(destination, name))
    chosen = {}
    for split in ("train_aug", "train", "val"):
        path = os.path.join(lists, f"{split}.txt")
        if not os.path.exists(path):
            continue
        with open(path) as file:
            ids = [line.strip() for line in file if line.strip()][:count]
        with open(os.path.join(destination, "ImageSets", "Segmentation", f"{split}.txt"), "w") as file:
            file.write("".join(f"{image_id}\n" for image_id in ids))
        for image_id in ids:
            chosen[image_id] = True
    scales = {}
    for image_id in chosen:
        image = Image.open(os.path.join(source, "JPEGImages", f"{image_id}.jpg"))
        scales[image_id] = (width / image.width, height / image.height)
        os.makedirs(os.path.join(destination, "JPEGImages"), exist_ok=True)
        image.convert("RGB").resize((width, height), Image.BILINEAR).save(
            os.path.join(destination, "JPEGImages", f"{image_id}.jpg"), quality=95)
        for folder, resample in (("SegmentationClass", Image.NEAREST),
                                 ("SegmentationClassAug", Image.NEAREST),
                                 ("SALImages", Image.BILINEAR)):
            path = os.path.join(source, folder, f"{image_id}.png")
            if os.path.exists(path):
                os.makedirs(os.path.join(destination, folder), exist_ok=True)
                Image.open(path).resize((width, height), resample).save(
                    os.path.join(destination, folder, f"{image_id}.png"))
        annotation = os.path.join(source, "Annotations", f"{image_id}.xml")
        if os.path.exists(annotation):
            os.makedirs(os.path.join(destination, "Annotations"), exist_ok=True)
            with open(annotation) as file:
                text = file.read()
            text = re.sub(r"<width>\d+</width>", f"<width>{width}</width>", text)
            text = re.sub(r"<height>\d+</height>", f"<height>{height}</height>", text)
            with open(os.path.join(destination, "Annotations", f"{image_id}.xml"), "w") as file:
                file.write(text)
    points = os.path.join(source, "points.json")
    if os.path.exists(points):
        with open(points) as file:
            clicks = json.load(file)
        scaled = {}
        for image_id, image_clicks in clicks.items():
            if image_id not in scales:
                continue
            sx, sy = scales[image_id]
            scaled[image_id] = [dict(click, x=click["x"] * sx, y=click["y"] * sy)
                                for click in image_clicks]
        with open(os.path.join(destination, "points.json"), "w") as file:
            json.dump(scaled, file)
    print(f"{len(chosen)} images at {width} x {height} in {destination}")


def read_table(path, columns):
    rows = []
    if os.path.exists(path):
        with open(path) as file:
            for line in file:
                fields = line.rstrip("\n").split("\t")
                fields += [""] * (columns - len(fields))
                rows.append(fields[:columns])
    return rows


def log_tail(path, lines=40):
    if not os.path.exists(path):
        return ""
    with open(path, errors="replace") as file:
        return "".join(file.readlines()[-lines:])


def report(report_dir):
    parts = [dict(zip(("name", "status", "seconds", "note"), row))
             for row in read_table(os.path.join(report_dir, "parts.tsv"), 4)]
    figures = {}
    for name, value in read_table(os.path.join(report_dir, "figures.tsv"), 2):
        figures[name] = value
    for part in parts:
        if part["status"] == "fail":
            part["log_tail"] = log_tail(os.path.join(report_dir, "logs", part["name"] + ".log"))
    # The tables the commands print, kept whole for the report.
    tables = {}
    for part in parts:
        if part["name"].startswith(("bench-", "reference-")) or part["name"] == "infer":
            tables[part["name"]] = log_tail(os.path.join(report_dir, "logs", part["name"] + ".log"), 30)
    failed = [part["name"] for part in parts if part["status"] == "fail"]
    result = {"device": figures.get("device"), "driver": figures.get("driver"),
              "figures": figures, "parts": parts, "failed": failed, "tables": tables}
    with open(os.path.join(report_dir, "gpu-report.json"), "w") as file:
        json.dump(result, file, indent=2)
    lines = [f"# wsss GPU check", "",
             f"Device: {figures.get('device')}, driver {figures.get('driver')}, torch "
             f"{figures.get('torch')}, bundle {figures.get('bundle_commit')}; "
             f"{figures.get('check_seconds', '?')} s in all.", ""]
    if figures.get("note"):
        lines += [f"Note: {figures['note']}.", ""]
    lines += ["| part | status | seconds | note |", "|---|---|---|---|"]
    for part in parts:
        lines.append(f"| {part['name']} | {part['status']} | {part['seconds']} | {part['note']} |")
    lines += ["", "## Figures", "", "| figure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in figures.items()]
    for name, text in tables.items():
        lines += ["", f"## {name}", "", "```", text.rstrip(), "```"]
    for part in parts:
        if part["status"] == "fail":
            lines += ["", f"## Failure: {part['name']} ({part['note']})", "", "```",
                      part["log_tail"].rstrip(), "```"]
    with open(os.path.join(report_dir, "gpu-report.md"), "w") as file:
        file.write("\n".join(lines) + "\n")
    print(f"gpu-check: {len(parts) - len(failed)} of {len(parts)} parts passed or skipped; "
          f"report in {report_dir}/gpu-report.md")
    if failed:
        print("gpu-check: failed: " + ", ".join(failed))
        sys.exit(1)


COMMANDS = {"finite": finite, "compare": compare, "figure-from-json": figure_from_json,
            "step-mean": step_mean, "upscale": upscale, "report": report}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
