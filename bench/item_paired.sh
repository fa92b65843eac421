#!/usr/bin/env bash
# Paired item open: the code of a base tree against this tree, alternately in the same run.
#   bash bench/item_paired.sh [BASE_SRC] [PAIRS] [ROUNDS]
# Each pair: bench/item_open.py (app and portal in processes of their own, over HTTP: done, its
# parts, CPU of each process) and bench/item_profile.py (the requests in-process: CPU per request).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-$here/../tuiitem-base/src}
pairs=${2:-3}
rounds=${3:-30}
py=${PYTHON:-$here/.venv/bin/python}
for i in $(seq "$pairs"); do
  printf 'before: '; PYTHONPATH=$base "$py" "$here/bench/item_open.py" --rounds "$rounds" | tail -1
  printf 'after:  '; "$py" "$here/bench/item_open.py" --rounds "$rounds" | tail -1
  printf 'before: '; PYTHONPATH=$base "$py" "$here/bench/item_profile.py" --rounds 100 | grep 'item open'
  printf 'after:  '; "$py" "$here/bench/item_profile.py" --rounds 100 | grep 'item open'
done
