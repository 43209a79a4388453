#!/usr/bin/env bash
# The training step of wsss against the same step in PyTorch eager, side by side.
#   benchmarks/step_vs_python.sh [--wsss BIN] [--python PY] [--batches N] [--python-arg ARG]...
#                                CONFIG [key=value ...]
# Runs `wsss bench --what train` on CONFIG (with the overrides) and then
# tests/reference/step_reference.py's bench mode on the same effective config, device, thread
# counts (CPU) or precision settings (CUDA), and prints each setting's images/s, the ratio
# ours / Python's, and on CUDA the peak allocated memory of both and its ratio.
# BIN defaults to $WSSS, else build/wsss beside this folder; PY to $PYTHON, else python3.
# --python-arg passes ARG to every Python run (e.g. --python-arg --foreach --python-arg off).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
wsss="${WSSS:-$here/../build/wsss}"
python="${PYTHON:-python3}"
batches=5
python_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --wsss) wsss="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --batches) batches="$2"; shift 2 ;;
    --python-arg) python_args+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
if [[ $# -lt 1 ]]; then
  echo "usage: $0 [--wsss BIN] [--python PY] [--batches N] [--python-arg ARG]... CONFIG [key=value ...]" >&2
  exit 2
fi
config="$1"
shift
reference="$here/../tests/reference/step_reference.py"
[[ -x "$wsss" ]] || { echo "error: no wsss binary at $wsss (use --wsss BIN)" >&2; exit 1; }
[[ -f "$reference" ]] || { echo "error: $reference is missing" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$wsss" config --config "$config" "$@" > "$work/config.yaml"
echo "== wsss bench --config $config --what train --batches $batches $*"
"$wsss" bench --config "$config" --what train --batches "$batches" --json "$work/wsss.json" "$@"

# One Python run per row of ours, with that row's threads, autocast and memory format.
"$python" - "$work" "$reference" "$batches" "$python" "${python_args[@]}" <<'PY'
import json, subprocess, sys
work, reference, batches, python = sys.argv[1:5]
extra = sys.argv[5:]
ours = json.load(open(f"{work}/wsss.json"))
device = "cuda" if ours["device"].startswith("cuda") else "cpu"
rows = []
for row in ours["rows"]:
    command = [python, reference, "bench", "--config-yaml", f"{work}/config.yaml",
               "--device", device, "--batches", batches, "--threads", str(row["threads"])]
    if row["amp"]:
        command.append("--amp")
    if row["channels_last"]:
        command.append("--channels-last")
    command += extra
    print("== " + " ".join(command[1:]), flush=True)
    run = subprocess.run(command, check=True, capture_output=True, text=True)
    print(run.stdout.strip().splitlines()[0], flush=True)
    theirs = json.loads(run.stdout.strip().splitlines()[-1])
    rows.append((row, theirs))

print(f"\n{ours['backbone']} on {ours['device']}, batch {ours['batch']}, crop {ours['crop']}, "
      f"{batches} steps per setting")
header = f"{'setting':32s} {'wsss img/s':>11s} {'python img/s':>13s} {'ratio':>7s}"
if device == "cuda":
    header += f" {'wsss MiB':>9s} {'python MiB':>11s} {'mem ratio':>10s}"
print(header)
summary = []


def rate(value, width):
    return f"{value:{width}.3f}" if value < 10 else f"{value:{width}.2f}"


for row, theirs in rows:
    ratio = row["images_per_s"] / theirs["images_per_s"]
    line = (f"{row['setting']:32s} {rate(row['images_per_s'], 11)} "
            f"{rate(theirs['images_per_s'], 13)} {ratio:6.2f}x")
    entry = {"setting": row["setting"], "wsss_images_per_s": row["images_per_s"],
             "python_images_per_s": theirs["images_per_s"], "speed_ratio": ratio}
    if device == "cuda":
        memory = row["peak_mib"] / theirs["peak_mib"]
        line += f" {row['peak_mib']:9.0f} {theirs['peak_mib']:11.0f} {memory:9.2f}x"
        entry.update(wsss_peak_mib=row["peak_mib"], python_peak_mib=theirs["peak_mib"],
                     memory_ratio=memory)
    print(line)
    summary.append(entry)
print(json.dumps({"backbone": ours["backbone"], "device": ours["device"], "rows": summary}))
PY
