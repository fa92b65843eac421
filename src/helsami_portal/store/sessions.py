"""Sign-in's SQL: device codes (RFC 8628), the accounts a sign-in names, the signing keys, refresh
tokens and revoked sessions.

Named queries for `auth.device`, `auth.signin`, `auth.external`, `auth.tokens` and `auth.throttle`,
which hold the rules (what a code's state may become, when a poll is too fast, who is locked out,
when a session ends); this module only reads and writes the rows, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from .schema import account, device_code, refresh_token, revoked_session, signing_key
from .store import Tx

Row = sa.Row[Any]


# -- device codes ---------------------------------------------------------------------------------


def user_code_taken(tx: Tx, user_code: str) -> bool:
    return (
        tx.conn.execute(sa.select(device_code.c.user_code).where(device_code.c.user_code == user_code)).first()
        is not None
    )


def add_device_code(
    tx: Tx,
    *,
    device_code_hash: str,
    user_code: str,
    client_id: str,
    client_info: str,
    created: str,
    expires: str,
    interval: int,
) -> None:
    """A new device code, pending until its user approves or denies it."""
    tx.conn.execute(
        device_code.insert().values(
            device_code_hash=device_code_hash,
            user_code=user_code,
            client_id=client_id,
            client_info=client_info,
            created=created,
            expires=expires,
            interval=interval,
            state="pending",
        )
    )


def device_code_by_hash(tx: Tx, device_code_hash: str) -> Row | None:
    return tx.conn.execute(sa.select(device_code).where(device_code.c.device_code_hash == device_code_hash)).first()


def device_code_by_user_code(tx: Tx, user_code: str) -> Row | None:
    return tx.conn.execute(sa.select(device_code).where(device_code.c.user_code == user_code)).first()


def note_poll(tx: Tx, device_code_hash: str, *, at: str, interval: int) -> None:
    """When the device last polled, and the interval it must keep from now on."""
    tx.conn.execute(
        device_code.update()
        .where(device_code.c.device_code_hash == device_code_hash)
        .values(last_poll=at, interval=interval)
    )


def move_device_code(tx: Tx, device_code_hash: str, *, state: str, to: str, username: str | None = None) -> bool:
    """Move a device code from `state` to `to` (naming the user, if given); False if it was no
    longer in `state` (another request moved it first)."""
    values: dict[str, Any] = {"state": to}
    if username is not None:
        values["username"] = username
    res = tx.conn.execute(
        device_code.update()
        .where(device_code.c.device_code_hash == device_code_hash, device_code.c.state == state)
        .values(**values)
    )
    return bool(res.rowcount == 1)


def remove_device_codes_expired_before(tx: Tx, before: str) -> int:
    """Remove the device codes that expired before `before`; the number removed."""
    return int(tx.conn.execute(device_code.delete().where(device_code.c.expires < before)).rowcount)


# -- accounts -------------------------------------------------------------------------------------


def account_by_username(tx: Tx, username: str) -> Row | None:
    return tx.conn.execute(sa.select(account).where(account.c.username == username)).first()


def replace_password_hash(tx: Tx, username: str, *, old: str, new: str) -> None:
    """Store a stronger hash of the same password, unless the password changed meanwhile."""
    tx.conn.execute(
        account.update().where(account.c.username == username, account.c.password_hash == old).values(password_hash=new)
    )


# -- signing keys ---------------------------------------------------------------------------------


def signing_keys(tx: Tx) -> Sequence[Row]:
    """Every signing key (kid, created, active, private_jwk)."""
    return tx.conn.execute(sa.select(signing_key)).all()


def add_signing_key(tx: Tx, *, kid: str, created: str, private_jwk: str) -> None:
    """A new active signing key."""
    tx.conn.execute(signing_key.insert().values(kid=kid, created=created, active=True, private_jwk=private_jwk))


# -- refresh tokens and revoked sessions ----------------------------------------------------------


def add_refresh_token(
    tx: Tx, *, token_hash: str, family: str, username: str, client_id: str, created: str, expires: str
) -> None:
    """A new refresh token of the session `family`."""
    tx.conn.execute(
        refresh_token.insert().values(
            token_hash=token_hash,
            family=family,
            username=username,
            client_id=client_id,
            created=created,
            expires=expires,
        )
    )


def refresh_token_by_hash(tx: Tx, token_hash: str) -> Row | None:
    return tx.conn.execute(sa.select(refresh_token).where(refresh_token.c.token_hash == token_hash)).first()


def spend_refresh_token(tx: Tx, token_hash: str) -> bool:
    """Mark an unused refresh token used; False if it was used already (another request spent it first)."""
    res = tx.conn.execute(
        refresh_token.update()
        .where(refresh_token.c.token_hash == token_hash, refresh_token.c.used == sa.false())
        .values(used=True)
    )
    return bool(res.rowcount == 1)


def session_first_created(tx: Tx, family: str) -> Any:
    """When the first refresh token of the session `family` was made (None if it has none)."""
    return tx.conn.execute(
        sa.select(sa.func.min(refresh_token.c.created)).where(refresh_token.c.family == family)
    ).scalar_one()


def revoke_refresh_tokens(tx: Tx, family: str) -> None:
    """Mark every refresh token of the session `family` revoked."""
    tx.conn.execute(refresh_token.update().where(refresh_token.c.family == family).values(revoked=True))


def family_of_refresh_token(tx: Tx, token_hash: str) -> str | None:
    """The session a refresh token belongs to (None if it is not known)."""
    row = tx.conn.execute(sa.select(refresh_token.c.family).where(refresh_token.c.token_hash == token_hash)).first()
    return None if row is None else str(row.family)


def session_revoked(tx: Tx, sid: str) -> bool:
    return tx.conn.execute(sa.select(revoked_session.c.sid).where(revoked_session.c.sid == sid)).first() is not None


def add_revoked_session(tx: Tx, sid: str, revoked_at: str) -> None:
    tx.conn.execute(revoked_session.insert().values(sid=sid, revoked_at=revoked_at))


def remove_refresh_tokens_created_before(tx: Tx, before: str) -> int:
    """Remove the refresh tokens made before `before`; the number removed."""
    return int(tx.conn.execute(refresh_token.delete().where(refresh_token.c.created < before)).rowcount)


def remove_revocations_before(tx: Tx, before: str) -> int:
    """Remove the revocations made before `before`; the number removed."""
    return int(tx.conn.execute(revoked_session.delete().where(revoked_session.c.revoked_at < before)).rowcount)
