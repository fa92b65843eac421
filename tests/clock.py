"""The machine's own clock, for what the suite's clock (tests/conftest.py: `suite_clock`) cannot move.

The suite runs with the process clock set to a reference time, but other processes (a served portal,
nginx, a worker) and OpenSSL's certificate checks run on the machine's clock. What they check, such as
a certificate's validity or a token made for another process, is built from this clock instead.
"""

from __future__ import annotations

import datetime as dt

import time_machine


def machine_now() -> dt.datetime:
    """The machine's clock now, in UTC, whatever the suite's clock says."""
    return time_machine.escape_hatch.datetime.datetime.now(dt.UTC)


def machine_time() -> float:
    """The machine's clock now, in seconds since the epoch."""
    return time_machine.escape_hatch.time.time()
