"""Sign-in throttling that an attacker cannot turn against the user (docs/auth.md, "Sign-in policy").

Failures are counted per key in a sliding window: one account from one address, one address
(all accounts), and one account from all addresses except those it signed in from before
("known addresses"). Past a key's limit nobody is locked out for good: each further try must wait
a delay that doubles with every failure (progressive delay), and the real user from a known
address is not held back by failures that came from elsewhere.

Atomic on both databases: the check and a reservation of the attempt happen in one short write
transaction holding the keys' locks (PostgreSQL advisory locks; SQLite's single writer), so N
simultaneous wrong passwords can check at most `limit` of them. The password itself is checked
outside that transaction; success gives the reservation back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from ..fhir import timeutil
from ..fhir.outcome import FhirError
from ..store import sessions, throttle as attempts
from ..store.store import Store, Tx

KNOWN_FOR = dt.timedelta(days=30)


@dataclass(frozen=True)
class Policy:
    window: dt.timedelta = dt.timedelta(minutes=15)
    account_address_limit: int = 5
    address_limit: int = 30
    account_limit: int = 20
    base_delay: int = 30
    max_delay: int = 900


@dataclass(frozen=True)
class Decision:
    allowed: bool
    wait: int = 0  # seconds before the next try may be made (when not allowed)
    limit: str = ""  # which limit held it back: account-address | address | account
    limit_value: int = 0
    reserved: tuple[int, ...] = ()  # attempt rows to give back on success


def throttled(wait: int, reason: str, limit: int, what: str) -> FhirError:
    """The 429 of a limit reached: wait `wait` seconds (Retry-After)."""
    return FhirError(
        429,
        f"Too many {what} from here; try again in {wait} seconds.",
        reason=reason,
        args={"limit": limit, "retryAfter": wait},
        headers={"Retry-After": str(wait)},
    )


def account_id(username: str) -> str:
    """What the logs and the attempt table name an account by: never the typed text itself
    (a password typed into the username field must not end up in a log)."""
    return "u" + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:20]


def wait_seconds(times: list[str], now: dt.datetime, limit: int, base: int, cap: int) -> int:
    """Seconds to wait before another try, given the failure instants in the window (sorted)."""
    n = len(times)
    if n < limit:
        return 0
    delay = min(cap, base * 2 ** min(n - limit, 20))
    ready = timeutil.parse(times[-1]) + dt.timedelta(seconds=delay)
    return max(0, math.ceil((ready - now).total_seconds()))


def is_known(tx: Tx, acct: str, address: str, now: dt.datetime) -> bool:
    return attempts.has_attempt_since(tx, f"known:{acct}|{address}", timeutil.instant(now - KNOWN_FOR))


def reserve(tx: Tx, policy: Policy, username: str, address: str) -> Decision:
    """Check the limits and, if the try may go ahead, count it as a failure until it succeeds."""
    now = timeutil.utcnow()
    acct = account_id(username)
    keys = {"account-address": (f"acct-addr:{acct}|{address}", policy.account_address_limit)}
    if not is_known(tx, acct, address, now):
        # From a known place (this account signed in from this address before) neither the
        # failures of others behind the same address (a NAT, an office) nor those against the
        # account from elsewhere hold the user back; only this pair's own failures do.
        keys["address"] = (f"addr:{address}", policy.address_limit)
        keys["account"] = (f"acct:{acct}", policy.account_limit)
    attempts.lock_keys(tx, [k for k, _ in keys.values()])
    since = timeutil.instant(now - policy.window)
    for name, (key, limit) in keys.items():
        wait = wait_seconds(attempts.attempt_times(tx, key, since), now, limit, policy.base_delay, policy.max_delay)
        if wait > 0:
            return Decision(False, wait, name, limit)
    at = timeutil.instant(now)
    ids = []
    for key, _ in keys.values():
        ids.append(attempts.reserve_attempt(tx, key, at))
    return Decision(True, reserved=tuple(ids))


def succeeded(tx: Tx, decision: Decision, username: str, address: str) -> None:
    """The password was right: give the reservation back, forget this pair's failures, and
    remember the address as one the account signs in from."""
    acct = account_id(username)
    if decision.reserved:
        attempts.remove_attempts(tx, decision.reserved)
    attempts.remove_keys(tx, [f"acct-addr:{acct}|{address}", f"known:{acct}|{address}"])
    attempts.add_attempt(tx, f"known:{acct}|{address}", timeutil.instant())


def hit(tx: Tx, key: str, limit: int, window: dt.timedelta, policy: Policy, *, record: bool = True) -> int:
    """A plain rate limit on `key` (device authorisations, unknown user codes): the seconds to
    wait if past `limit` in `window` (progressive), else 0; records this hit when allowed."""
    now = timeutil.utcnow()
    attempts.lock_keys(tx, [key])
    wait = wait_seconds(
        attempts.attempt_times(tx, key, timeutil.instant(now - window)),
        now,
        limit,
        policy.base_delay if window > dt.timedelta(minutes=1) else 1,
        policy.max_delay,
    )
    if wait == 0 and record:
        attempts.add_attempt(tx, key, timeutil.instant(now))
    return wait


def clean(tx: Tx, now: dt.datetime, window: dt.timedelta) -> int:
    """Forget failures and hits older than the window (known addresses after KNOWN_FOR)."""
    old = timeutil.instant(now - max(window, dt.timedelta(hours=1)))
    return attempts.remove_before(tx, old, timeutil.instant(now - KNOWN_FOR))


def housekeeping(
    store: Store,
    now: dt.datetime,
    *,
    session_ttl: dt.timedelta | None = None,
    window: dt.timedelta = dt.timedelta(minutes=15),
) -> int:
    """The clean-up job: expired device codes, the refresh tokens and revocations of sessions that
    have ended (past the absolute lifetime, with a day's margin), old attempts. Returns rows removed."""
    from .tokens import SESSION_TTL

    ended = timeutil.instant(now - (session_ttl or SESSION_TTL) - dt.timedelta(days=1))
    with store.write() as tx:
        n = sessions.remove_device_codes_expired_before(tx, timeutil.instant(now - dt.timedelta(hours=1)))
        n += sessions.remove_refresh_tokens_created_before(tx, ended)
        n += sessions.remove_revocations_before(tx, ended)
        n += clean(tx, now, window)
    return int(n)
