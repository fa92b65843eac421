#!/usr/bin/env bash
# Paired CPU per inbox page: the code of a base tree (default: a worktree of main at ../speed-base)
# against this tree, alternately in the same run, on bench/portal.py's database.
#   bash bench/paired.sh [BASE_SRC] [PAIRS] [REQUESTS] [extra page_profile.py arguments]
# BEFORE_URL / AFTER_URL (optional): a database for each side (page_profile.py --url), when the two
# trees' schemas differ (a migration: a copy of the base's database, upgraded by this tree).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-$here/../speed-base/src}
pairs=${2:-3}
requests=${3:-300}
shift $(( $# < 3 ? $# : 3 ))
py=${PYTHON:-$here/.venv/bin/python}
for i in $(seq "$pairs"); do
  printf 'before: '; PYTHONPATH=$base "$py" "$here/bench/page_profile.py" --top 0 --requests "$requests" ${BEFORE_URL:+--url "$BEFORE_URL"} "$@" | grep -E 'CPU|^GC'
  printf 'after:  '; "$py" "$here/bench/page_profile.py" --top 0 --requests "$requests" ${AFTER_URL:+--url "$AFTER_URL"} "$@" | grep -E 'CPU|^GC'
done
