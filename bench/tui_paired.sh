#!/usr/bin/env bash
# Paired pty figures of the terminal app (bench/tui.py --pty-only): the code of a base tree against
# this tree, alternately in the same run, on the same pool; one line per run, then the medians.
#   bash bench/tui_paired.sh BASE_SRC [PAIRS] [POOL] [extra tui.py arguments]
# BASE_SRC: e.g. `git archive <commit> src | tar -x -C /tmp/before` then /tmp/before/src (compile it
# once: `python -m compileall -q /tmp/before/src`, as tui.py does for this tree).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
base=$1
pairs=${2:-5}
pool=${3:-100000}
shift $(( $# < 3 ? $# : 3 ))
py=${PYTHON:-$here/.venv/bin/python}
out=$(mktemp)
for i in $(seq "$pairs"); do
  printf 'base: ' | tee -a "$out"; PYTHONPATH=$base "$py" "$here/bench/tui.py" --pty-only --pool "$pool" "$@" | grep '^pty' | tee -a "$out"
  printf 'this: ' | tee -a "$out"; PYTHONPATH=$here/src "$py" "$here/bench/tui.py" --pty-only --pool "$pool" "$@" | grep '^pty' | tee -a "$out"
done
"$py" - "$out" <<'PY'
import re, statistics, sys
rows = {"base": [], "this": []}
for line in open(sys.argv[1]):
    side, _, rest = line.partition(": ")
    nums = [float(x.replace(",", "")) for x in re.findall(r"(?:start|p50|p99) ([0-9.,]+)", rest)]
    if side in rows and len(nums) == 5:
        rows[side].append(nums)
names = ["start s", "cursor p50", "cursor p99", "scroll p50", "scroll p99"]
for i, name in enumerate(names):
    b = statistics.median(r[i] for r in rows["base"])
    t = statistics.median(r[i] for r in rows["this"])
    ratios = [x[i] / y[i] for x, y in zip(rows["this"], rows["base"])]
    print(f"median {name:<11} base {b:7.2f}  this {t:7.2f}  ratio of pairs (median) {statistics.median(ratios):.2f}")
PY
rm -f "$out"
