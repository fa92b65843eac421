"""CPU of the access decision of one inbox page: `access.screen` timed (process time) around each call
while bench/page_profile.py runs its pages (two calls a page: the 50 matches, then the 100 includes).

    python bench/screen_cpu.py [--requests 300] [page_profile.py's arguments]
    PYTHONPATH=<old tree>/src python bench/screen_cpu.py ...   (the code before a change)
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))


def main(argv: list[str]) -> int:
    from helsami_portal.workflow import access

    samples: list[float] = []
    screen = access.screen

    def timed(*a: Any, **kw: Any) -> Any:
        t0 = time.process_time()
        try:
            return screen(*a, **kw)
        finally:
            samples.append(time.process_time() - t0)

    access.screen = timed  # type: ignore[assignment]
    import page_profile

    requests = argv[argv.index("--requests") + 1] if "--requests" in argv else "300"
    rest = [a for i, a in enumerate(argv) if a != "--requests" and (i == 0 or argv[i - 1] != "--requests")]
    page_profile.main(["--top", "0", "--requests", requests, *rest])
    matches, includes = samples[0::2], samples[1::2]
    print(
        f"screen CPU ms per page, median: matches {statistics.median(matches) * 1e3:.3f}, "
        f"includes {statistics.median(includes) * 1e3:.3f}; mean of both {sum(samples) / len(matches) * 1e3:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
