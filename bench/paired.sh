#!/usr/bin/env bash
# Paired CPU per inbox page: the code of a base tree (default: a worktree of main at ../speed-base)
# against this tree, alternately in the same run, on bench/portal.py's database.
#   bash bench/paired.sh [BASE_SRC] [PAIRS] [REQUESTS] [extra page_profile.py arguments]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-$here/../speed-base/src}
pairs=${2:-3}
requests=${3:-300}
shift $(( $# < 3 ? $# : 3 ))
py=${PYTHON:-$here/.venv/bin/python}
for i in $(seq "$pairs"); do
  printf 'before: '; PYTHONPATH=$base "$py" "$here/bench/page_profile.py" --top 0 --requests "$requests" "$@" | grep 'CPU'
  printf 'after:  '; "$py" "$here/bench/page_profile.py" --top 0 --requests "$requests" "$@" | grep 'CPU'
done
