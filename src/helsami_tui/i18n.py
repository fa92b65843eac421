"""Translations: Norwegian bokmål ("nb", the default) and English ("en").

Usage::

    from helsami_tui.i18n import t, tn, set_language
    t("action.claim")              # "Ta oppgave"
    tn("count.new", 3)             # "3 nye"  (picks "count.new.one" / "count.new.other")
    t("conflict.claimed_by", name=safe_str(owner))

Rules for the catalog (checked by ``tests/tui/test_i18n.py``):

* Both languages have exactly the same keys and the same ``{placeholders}`` per key.
* No catalog string contains ``[`` or ``]``, so a translated string is safe even where Textual
  parses markup.  Values substituted into ``{placeholders}`` are NOT made safe by ``t()``: when
  they come from a patient or a server, show the result through ``safetext.safe_text``.
* Keys are dotted, grouped by area (``app.``, ``col.``, ``type.``, ``status.`` …).  Plural forms are
  ``<key>.one`` / ``<key>.other`` and are used through :func:`tn`.

``t()`` never raises: an unknown key falls back to bokmål, then to the key itself; a missing
placeholder value is left as ``{name}``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

__all__ = [
    "CATALOGS",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "current_language",
    "format_age",
    "language_from_env",
    "set_language",
    "t",
    "tn",
]

DEFAULT_LANGUAGE: Final[str] = "nb"

LANGUAGES: Final[dict[str, str]] = {
    "nb": "Norsk bokmål",
    "en": "English",
}
"""Supported language codes and their names in their own language."""

_NB: Final[dict[str, str]] = {
    # app
    "app.title": "HelsaMi Innboks",
    "app.subtitle": "Innboks for helsepersonell",
    "app.loading": "Laster …",
    "app.no_items": "Ingen oppgaver her.",
    "app.terminal_too_small": "Terminalen er for liten. Gjør vinduet minst {width}×{height} tegn.",
    "app.keyring_unavailable": "Nøkkelring er ikke tilgjengelig. Innloggingen blir ikke lagret, og du må logge inn på nytt neste gang.",
    "app.offline": "Frakoblet – viser sist hentede data. Prøver igjen …",
    "app.reconnected": "Tilkoblet igjen.",
    "app.error": "Noe gikk galt: {message}",
    "app.language_changed": "Språk: {language}",
    "app.theme_changed": "Tema: {theme}",
    # inbox and pools
    "inbox.title": "Innboks",
    "inbox.mine": "Mine oppgaver",
    "inbox.pools": "Felles innbokser",
    "inbox.pool": "Felles innboks",
    "inbox.backup_pool": "Reserveinnboks",
    "inbox.all": "Alle",
    "inbox.position": "{index} av {total}",
    "count.new.one": "{n} ny",
    "count.new.other": "{n} nye",
    "count.urgent.one": "{n} haster",
    "count.urgent.other": "{n} haster",
    "count.overdue.one": "{n} over frist",
    "count.overdue.other": "{n} over frist",
    "count.items.one": "{n} oppgave",
    "count.items.other": "{n} oppgaver",
    # column headers
    "col.priority": "Prioritet",
    "col.age": "Alder",
    "col.type": "Type",
    "col.patient": "Pasient",
    "col.subject": "Emne",
    "col.status": "Status",
    "col.owner": "Ansvarlig",
    # task types
    "type.message": "Melding",
    "type.renewal": "Reseptfornyelse",
    "type.result": "Prøvesvar",
    "type.questionnaire": "Spørreskjema",
    "type.appointment": "Timeforespørsel",
    "type.phone_message": "Telefonnotat",
    # statuses
    "status.waiting": "Venter",
    "status.claimed": "Tatt",
    "status.completed": "Fullført",
    "status.claimed_by": "Tatt av {name}",
    # priorities (FHIR Task.priority: routine | urgent | asap | stat)
    "priority.routine": "Vanlig",
    "priority.urgent": "Haster",
    "priority.asap": "Snarest",
    "priority.stat": "Straks",
    "flag.urgent": "HASTER",
    "flag.overdue": "OVER FRIST",
    "flag.new": "NY",
    # actions
    "action.claim": "Ta oppgave",
    "action.unclaim": "Legg tilbake",
    "action.forward": "Videresend",
    "action.reply": "Svar",
    "action.complete": "Fullfør",
    "action.help": "Hjelp",
    "action.quit": "Avslutt",
    "action.search": "Søk",
    "action.filter": "Filter",
    "action.sort": "Sorter",
    "action.language": "Språk",
    "action.theme": "Tema",
    "action.open": "Åpne",
    "action.cancel": "Avbryt",
    "action.confirm": "Bekreft",
    "action.retry": "Prøv igjen",
    "action.refresh": "Oppdater",
    # conflicts (412 / someone else was faster)
    "conflict.changed": "Oppgaven er endret av noen andre. Viser den nyeste versjonen.",
    "conflict.claimed_by": "Oppgaven er allerede tatt av {name}.",
    "conflict.completed": "Oppgaven er allerede fullført.",
    "conflict.forwarded": "Oppgaven er allerede videresendt til {pool}.",
    "conflict.retry": "Endringen ble ikke lagret. Se over og prøv igjen.",
    # idle lock
    "lock.title": "Låst",
    "lock.message": "Skjermen ble låst etter {minutes} minutter uten aktivitet.",
    "lock.unlock_prompt": "Skriv passordet for å låse opp.",
    "lock.warning": "Skjermen låses om {seconds} sekunder.",
    "lock.wrong_password": "Feil passord.",
    # age units (see format_age)
    "age.now": "<1 min",
    "age.minutes": "{n} min",
    "age.hours": "{n} t",
    "age.days": "{n} d",
    "age.years": "{n} år",
}

_EN: Final[dict[str, str]] = {
    # app
    "app.title": "HelsaMi Inbox",
    "app.subtitle": "Inbox for care staff",
    "app.loading": "Loading …",
    "app.no_items": "No tasks here.",
    "app.terminal_too_small": "The terminal is too small. Make the window at least {width}×{height} characters.",
    "app.keyring_unavailable": "No keyring is available. Your login will not be saved and you will have to log in again next time.",
    "app.offline": "Offline – showing the data last fetched. Retrying …",
    "app.reconnected": "Connected again.",
    "app.error": "Something went wrong: {message}",
    "app.language_changed": "Language: {language}",
    "app.theme_changed": "Theme: {theme}",
    # inbox and pools
    "inbox.title": "Inbox",
    "inbox.mine": "My tasks",
    "inbox.pools": "Shared inboxes",
    "inbox.pool": "Shared inbox",
    "inbox.backup_pool": "Back-up inbox",
    "inbox.all": "All",
    "inbox.position": "{index} of {total}",
    "count.new.one": "{n} new",
    "count.new.other": "{n} new",
    "count.urgent.one": "{n} urgent",
    "count.urgent.other": "{n} urgent",
    "count.overdue.one": "{n} overdue",
    "count.overdue.other": "{n} overdue",
    "count.items.one": "{n} task",
    "count.items.other": "{n} tasks",
    # column headers
    "col.priority": "Priority",
    "col.age": "Age",
    "col.type": "Type",
    "col.patient": "Patient",
    "col.subject": "Subject",
    "col.status": "Status",
    "col.owner": "Owner",
    # task types
    "type.message": "Message",
    "type.renewal": "Renewal",
    "type.result": "Test result",
    "type.questionnaire": "Questionnaire",
    "type.appointment": "Appointment request",
    "type.phone_message": "Phone message",
    # statuses
    "status.waiting": "Waiting",
    "status.claimed": "Claimed",
    "status.completed": "Completed",
    "status.claimed_by": "Claimed by {name}",
    # priorities
    "priority.routine": "Routine",
    "priority.urgent": "Urgent",
    "priority.asap": "ASAP",
    "priority.stat": "Immediate",
    "flag.urgent": "URGENT",
    "flag.overdue": "OVERDUE",
    "flag.new": "NEW",
    # actions
    "action.claim": "Claim",
    "action.unclaim": "Unclaim",
    "action.forward": "Forward",
    "action.reply": "Reply",
    "action.complete": "Complete",
    "action.help": "Help",
    "action.quit": "Quit",
    "action.search": "Search",
    "action.filter": "Filter",
    "action.sort": "Sort",
    "action.language": "Language",
    "action.theme": "Theme",
    "action.open": "Open",
    "action.cancel": "Cancel",
    "action.confirm": "Confirm",
    "action.retry": "Retry",
    "action.refresh": "Refresh",
    # conflicts
    "conflict.changed": "Someone else changed this task. Showing the latest version.",
    "conflict.claimed_by": "This task has already been claimed by {name}.",
    "conflict.completed": "This task has already been completed.",
    "conflict.forwarded": "This task has already been forwarded to {pool}.",
    "conflict.retry": "Your change was not saved. Check and try again.",
    # idle lock
    "lock.title": "Locked",
    "lock.message": "The screen was locked after {minutes} minutes without activity.",
    "lock.unlock_prompt": "Type your password to unlock.",
    "lock.warning": "The screen locks in {seconds} seconds.",
    "lock.wrong_password": "Wrong password.",
    # age units
    "age.now": "<1 min",
    "age.minutes": "{n} min",
    "age.hours": "{n} h",
    "age.days": "{n} d",
    "age.years": "{n} y",
}

CATALOGS: Final[dict[str, dict[str, str]]] = {"nb": _NB, "en": _EN}
"""The catalogs; add a key to every language at once."""

_current: str = DEFAULT_LANGUAGE


class _KeepMissing(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def set_language(code: str) -> None:
    """Switch the language for all later ``t()`` calls; ``ValueError`` for an unknown code."""
    global _current
    normalised = code.strip().lower().replace("_", "-").split("-")[0]
    if normalised in ("no", "nn"):  # "no"/"nn" fall back to bokmål: the only Norwegian we ship
        normalised = "nb"
    if normalised not in CATALOGS:
        raise ValueError(f"unknown language {code!r}; known: {', '.join(LANGUAGES)}")
    _current = normalised


def current_language() -> str:
    """The current language code ("nb" or "en")."""
    return _current


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """A language code from ``HELSAMI_LANG``, ``LC_ALL``, ``LC_MESSAGES`` or ``LANG``.

    English only when asked for ("en…"); everything else gives bokmål.
    """
    env = os.environ if environ is None else environ
    for var in ("HELSAMI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def t(key: str, **kwargs: object) -> str:
    """The text for ``key`` in the current language, with ``{placeholders}`` filled in."""
    template = CATALOGS[_current].get(key)
    if template is None:
        template = CATALOGS[DEFAULT_LANGUAGE].get(key, key)
    if not kwargs:
        return template
    try:
        return template.format_map(_KeepMissing(kwargs))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


def tn(key: str, n: int, **kwargs: object) -> str:
    """Plural-aware ``t``: uses ``<key>.one`` when ``n == 1``, else ``<key>.other``; ``{n}`` is set."""
    return t(f"{key}.one" if n == 1 else f"{key}.other", n=n, **kwargs)


_MINUTE: Final[int] = 60
_HOUR: Final[int] = 3600
_DAY: Final[int] = 86_400
_YEAR: Final[int] = 365 * _DAY


def format_age(seconds: float) -> str:
    """A short human age: "<1 min", "12 min", "3 t", "2 d", "1 år" (nb) / "3 h", "1 y" (en).

    Values are rounded down; negative ages (clock skew) count as zero.  Days are used up to a
    year, since response times are promised in days.
    """
    s = max(0, int(seconds))
    if s < _MINUTE:
        return t("age.now")
    if s < _HOUR:
        return t("age.minutes", n=s // _MINUTE)
    if s < _DAY:
        return t("age.hours", n=s // _HOUR)
    if s < _YEAR:
        return t("age.days", n=s // _DAY)
    return t("age.years", n=s // _YEAR)
