"""Patients' notification settings (`/patient/settings`): which channels tell them, in which language,
and the addresses of their record that the channels go to. The outbox is workflow/notify.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..auth.principal import Principal
from ..fhir.outcome import FhirError
from ..store import outbox
from ..store.store import Store, Tx

Resource = dict[str, Any]
CHANNELS = ("email", "sms")
LANGUAGES = ("nb", "en")


@dataclass(frozen=True)
class Preferences:
    email: bool
    sms: bool
    language: str
    chosen: bool  # False: the defaults (no choice stored)


def _telecom(r: Resource, system: str) -> str:
    for t in r.get("telecom") or []:
        if (
            isinstance(t, dict)
            and t.get("system") == system
            and isinstance(t.get("value"), str)
            and not (t.get("period") or {}).get("end")
        ):
            if system == "phone" and t.get("use") not in (None, "mobile"):
                continue
            return str(t["value"]).strip()[:200]
    return ""


_EMAIL = re.compile(r"[^@\s<>,;:\"()\[\]\\]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}")
_PHONE = re.compile(r"\+?[0-9]{8,15}")


def addresses(r: Resource) -> dict[str, str]:
    """Where each channel goes: the e-mail address and the mobile number in the record ("" if none, or
    if it is not a plain address or number: nothing else reaches a mail header or the gateway)."""
    mail = _telecom(r, "email")
    phone = "".join(ch for ch in _telecom(r, "phone") if ch not in " -.()")
    return {"email": mail if _EMAIL.fullmatch(mail) else "", "sms": phone if _PHONE.fullmatch(phone) else ""}


def _record_language(r: Resource) -> str:
    for comm in r.get("communication") or []:
        if not isinstance(comm, dict) or comm.get("preferred") is False:
            continue
        for coding in (comm.get("language") or {}).get("coding") or []:
            if str(coding.get("code", "")).lower().startswith("en"):
                return "en"
    return "nb"


def preferences(tx: Tx, owner: str, record: Resource | None) -> Preferences:
    """The owner's choice; without one, every channel the record has an address for, in bokmål
    (or English when the record prefers it)."""
    return preferences_of(tx, [(owner, record or {})])[owner]


def preferences_of(tx: Tx, owners: list[tuple[str, Resource]]) -> dict[str, Preferences]:
    """`preferences` of several owners in one query."""
    rows = outbox.settings_of(tx, (o for o, _ in owners))
    out: dict[str, Preferences] = {}
    for owner, record in owners:
        row = rows.get(owner)
        if row is not None:
            out[owner] = Preferences(bool(row.email), bool(row.sms), str(row.language), True)
        else:
            have = addresses(record)
            out[owner] = Preferences(bool(have["email"]), bool(have["sms"]), _record_language(record), False)
    return out


def _self_record(tx: Tx, p: Principal) -> Resource:
    typ, _, rid = p.ref.partition("/")
    if not p.is_patient_side or typ not in ("Patient", "RelatedPerson") or not rid:
        raise FhirError(
            403, "This part of the API is for patients and their proxies.", code="forbidden", reason="patients-only"
        )
    return tx.get(typ, rid) or {}


def _settings_view(prefs: Preferences, record: Resource) -> dict[str, Any]:
    have = addresses(record)
    return {
        "notifications": {"email": prefs.email, "sms": prefs.sms},
        "language": prefs.language,
        "default": not prefs.chosen,
        "contact": {"email": have["email"] or None, "sms": have["sms"] or None},
    }


def get_settings(store: Store, p: Principal) -> dict[str, Any]:
    """GET /patient/settings: the caller's own notification settings (a proxy's are their own)."""
    with store.read() as tx:
        record = _self_record(tx, p)
        return _settings_view(preferences(tx, p.ref, record), record)


def put_settings(store: Store, p: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """PUT /patient/settings: {"notifications": {"email": bool, "sms": bool}, "language": "nb"|"en"};
    a field left out keeps its value."""
    unknown = sorted(set(body) - {"notifications", "language", "default", "contact"})
    if unknown:
        raise FhirError(
            400,
            f"Unknown setting: {unknown[0][:40]}.",
            expression=unknown[0][:40],
            reason="invalid-parameter",
            args={"name": unknown[0][:40]},
        )
    chans = body.get("notifications", {})
    if (
        not isinstance(chans, dict)
        or set(chans) - set(CHANNELS)
        or not all(isinstance(v, bool) for v in chans.values())
    ):
        raise FhirError(
            400,
            'notifications is an object {"email": true|false, "sms": true|false}.',
            expression="notifications",
            reason="invalid-parameter",
            args={"name": "notifications"},
        )
    language = body.get("language")
    if language is not None and language not in LANGUAGES:
        raise FhirError(
            400, "language is nb or en.", expression="language", reason="invalid-parameter", args={"name": "language"}
        )
    if "default" in body and not isinstance(body["default"], bool):
        raise FhirError(
            400,
            "default is true or false (it is not set: it says whether anything was chosen).",
            expression="default",
            reason="invalid-parameter",
            args={"name": "default"},
        )
    with store.write() as tx:
        record = _self_record(tx, p)
        have = addresses(record)
        if "contact" in body and body["contact"] != {ch: have[ch] or None for ch in CHANNELS}:
            # Read-only: the addresses are the record's (changed where the record is kept), so a
            # client may send back what GET answered, but not a new address.
            raise FhirError(
                400,
                "contact is the addresses in your record and cannot be changed here.",
                expression="contact",
                reason="invalid-parameter",
                args={"name": "contact"},
            )
        for ch in CHANNELS:
            if chans.get(ch) is True and not have[ch]:
                raise FhirError(
                    409,
                    f"There is no {'e-mail address' if ch == 'email' else 'mobile number'} in your record "
                    "to notify you by.",
                    expression=f"notifications.{ch}",
                    code="business-rule",
                    reason="no-contact-address",
                    args={"channel": ch},
                )
        old = preferences(tx, p.ref, record)
        values = {
            "email": bool(chans.get("email", old.email)),
            "sms": bool(chans.get("sms", old.sms)),
            "language": str(language or old.language),
            "updated": tx.now,
        }
        outbox.save_settings(tx, p.ref, values)
        return _settings_view(preferences(tx, p.ref, record), record)
