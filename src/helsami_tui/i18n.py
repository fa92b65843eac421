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
    "translate_description",
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


# Keys of the app's screens (added with the screens).
_NB.update({
    "action.back": "Tilbake",
    "action.break_glass": "Nødtilgang",
    "action.close": "Lukk",
    "action.close_keep_draft": "Lukk (utkast lagres)",
    "action.filter_owner": "Filter ansvarlig",
    "action.filter_status": "Filter status",
    "action.filter_type": "Filter type",
    "action.lock": "Lås nå",
    "action.next_pool": "Neste innboks",
    "action.pools": "Innbokser",
    "action.send": "Send",
    "action.templates": "Maler",
    "btg.title": "Nødtilgang (bryt glasset)",
    "btg.explain": "Du har ikke behandlingsrelasjon til denne pasienten. Nødtilgang gis i en begrenset tid, logges i pasientens innsynslogg og blir kontrollert. Skriv hvorfor du trenger tilgang.",
    "btg.reason": "Begrunnelse (minst 10 tegn)",
    "btg.too_short": "Skriv en begrunnelse på minst 10 tegn.",
    "btg.granted": "Nødtilgang gitt for en begrenset tid. Tilgangen er logget.",
    "btg.unsupported": "Denne portalen tilbyr ikke nødtilgang.",
    "channel.phone": "Telefon",
    "channel.portal": "HelsaMi",
    "context.allergies": "Allergier",
    "context.medications": "Aktive legemidler",
    "context.results": "Siste prøvesvar",
    "context.conditions": "Diagnoser",
    "context.no_allergies": "Ingen kjente allergier registrert.",
    "context.none": "Ingen registrert.",
    "context.denied": "Ingen tilgang til klinisk informasjon",
    "context.break_glass_hint": "Trykk b for nødtilgang hvis du trenger det i arbeidet ditt.",
    "context.role_denied": "Rollen din gir ikke tilgang til klinisk informasjon (legemidler, prøvesvar, allergier, diagnoser).",
    "error.signed_out": "Du er logget ut. Logg inn på nytt.",
    "error.start": "Innboksen kunne ikke åpnes",
    "flag.escalated": "ESKALERT",
    "forward.choose": "Velg hvor oppgaven skal sendes.",
    "forward.filter": "Søk etter innboks eller person",
    "forward.kind.service": "Innboks",
    "forward.kind.person": "Person",
    "forward.note_label": "Internt notat (vises ikke for pasienten):",
    "forward.title": "Videresend",
    "forward.to": "Til",
    "help.title": "Taster",
    "help.more": "Alle handlinger har en tast. Mus fungerer også. Esc lukker.",
    "inbox.no_pools": "Du er ikke medlem av noen innboks.",
    "item.gone": "Oppgaven er ikke lenger tilgjengelig for deg (videresendt eller endret).",
    "item.no_thread": "Denne oppgaven har ingen meldingstråd.",
    "lock.press_enter": "Trykk Enter for å logge inn igjen.",
    "lock.signed_in_as": "Innlogget som",
    "lock.unlock": "Lås opp",
    "login.title": "Logg inn i HelsaMi Innboks",
    "login.go_to": "Gå til denne adressen på en annen enhet:",
    "login.enter_code": "og skriv inn koden:",
    "login.waiting": "Venter på godkjenning …",
    "msg.draft": "Ditt utkast (ikke sendt)",
    "msg.from_patient": "Fra",
    "msg.from_staff": "Svar fra",
    "msg.phone": "Telefon, registrert av",
    "msg.proxy": "(fullmektig)",
    "note.internal": "INTERNT NOTAT – vises ikke for pasienten",
    "patient.unknown": "Ukjent pasient",
    "patient.years": "år",
    "patient.nid": "f.nr.",
    "reply.to": "Svar til",
    "reply.draft_none": "Utkastet lagres automatisk i portalen.",
    "reply.draft_loaded": "Utkast hentet fra portalen.",
    "reply.draft_saved": "Utkast lagret i portalen.",
    "reply.draft_not_saved": "Utkastet er ikke lagret ennå (frakoblet?). Teksten er fortsatt her.",
    "reply.draft_kept": "Utkastet er lagret.",
    "reply.empty": "Svaret er tomt.",
    "reply.sent": "Svaret er sendt.",
    "reply.queued": "Frakoblet: svaret sendes automatisk (én gang) når portalen svarer igjen.",
    "search.placeholder": "Søk i emne – Enter for å søke, Esc for å avbryte",
    "status.claimed_by_me": "Tatt av meg",
    "support.title": "Drift og støtte – ingen pasientdata vises her",
    "support.signed_in_as": "Innlogget som",
    "support.inbox": "Innboks",
    "support.waiting": "Venter",
    "support.claimed": "Tatt",
    "support.oldest": "Eldste",
    "done.claim": "Du har tatt oppgaven.",
    "done.unclaim": "Oppgaven er lagt tilbake i innboksen.",
    "done.complete": "Oppgaven er fullført.",
    "done.forward": "Oppgaven er videresendt.",
    "filter.type": "Type",
    "filter.status": "Status",
    "filter.owner": "Ansvarlig",
    "filter.status.requested": "venter",
    "filter.status.in-progress": "tatt",
    "filter.status.completed": "fullført",
    "filter.status.requested_in-progress": "åpne",
    "filter.status.all": "alle",
    "filter.owner.mine": "mine",
    "filter.owner.unclaimed": "ikke tatt",
    "sort.priority": "prioritet",
    "sort.authored-on": "eldste først",
    "sort.authored-on.desc": "nyeste først",
    "action.cancel_search": "Avbryt søk",
    "msg.on_behalf_of": "{proxy} på vegne av {patient}",
    "help.move": "Flytt markøren i listen",
    "help.first_last": "Første / siste oppgave",
    "conflict.forwarded_to": "Oppgaven er videresendt til {name}.",
    "reply.draft_not_saved_closed": "Utkastet kunne ikke lagres i portalen.",
    "allergy.low": "lav risiko",
    "allergy.high": "høy risiko",
    "allergy.unable-to-assess": "risiko ukjent",
})
_EN.update({
    "action.back": "Back",
    "action.break_glass": "Emergency access",
    "action.close": "Close",
    "action.close_keep_draft": "Close (draft kept)",
    "action.filter_owner": "Filter owner",
    "action.filter_status": "Filter status",
    "action.filter_type": "Filter type",
    "action.lock": "Lock now",
    "action.next_pool": "Next inbox",
    "action.pools": "Inboxes",
    "action.send": "Send",
    "action.templates": "Templates",
    "btg.title": "Emergency access (break the glass)",
    "btg.explain": "You have no care relation with this patient. Emergency access is granted for a limited time, is written to the patient's access log and is reviewed. Say why you need access.",
    "btg.reason": "Reason (at least 10 characters)",
    "btg.too_short": "Write a reason of at least 10 characters.",
    "btg.granted": "Emergency access granted for a limited time. The access is logged.",
    "btg.unsupported": "This portal does not offer emergency access.",
    "channel.phone": "Phone",
    "channel.portal": "HelsaMi",
    "context.allergies": "Allergies",
    "context.medications": "Active medicines",
    "context.results": "Recent results",
    "context.conditions": "Diagnoses",
    "context.no_allergies": "No known allergies recorded.",
    "context.none": "None recorded.",
    "context.denied": "No access to clinical information",
    "context.break_glass_hint": "Press b for emergency access if your work needs it.",
    "context.role_denied": "Your role does not give access to clinical information (medicines, results, allergies, diagnoses).",
    "error.signed_out": "You are signed out. Sign in again.",
    "error.start": "The inbox could not be opened",
    "flag.escalated": "ESCALATED",
    "forward.choose": "Choose where to send the item.",
    "forward.filter": "Search for an inbox or a person",
    "forward.kind.service": "Inbox",
    "forward.kind.person": "Person",
    "forward.note_label": "Internal note (not shown to the patient):",
    "forward.title": "Forward",
    "forward.to": "To",
    "help.title": "Keys",
    "help.more": "Every action has a key. The mouse works too. Esc closes.",
    "inbox.no_pools": "You are not a member of any inbox.",
    "item.gone": "The item is no longer available to you (forwarded or changed).",
    "item.no_thread": "This item has no message thread.",
    "lock.press_enter": "Press Enter to sign in again.",
    "lock.signed_in_as": "Signed in as",
    "lock.unlock": "Unlock",
    "login.title": "Sign in to HelsaMi Inbox",
    "login.go_to": "On another device, go to this address:",
    "login.enter_code": "and enter the code:",
    "login.waiting": "Waiting for approval …",
    "msg.draft": "Your draft (not sent)",
    "msg.from_patient": "From",
    "msg.from_staff": "Reply from",
    "msg.phone": "Phone, taken by",
    "msg.proxy": "(proxy)",
    "note.internal": "INTERNAL NOTE – not shown to the patient",
    "patient.unknown": "Unknown patient",
    "patient.years": "years",
    "patient.nid": "national id",
    "reply.to": "Reply to",
    "reply.draft_none": "The draft is saved on the portal automatically.",
    "reply.draft_loaded": "Draft loaded from the portal.",
    "reply.draft_saved": "Draft saved on the portal.",
    "reply.draft_not_saved": "The draft is not saved yet (offline?). Your text is still here.",
    "reply.draft_kept": "The draft is saved.",
    "reply.empty": "The reply is empty.",
    "reply.sent": "The reply was sent.",
    "reply.queued": "Offline: the reply will be sent automatically (once) when the portal answers again.",
    "search.placeholder": "Search subjects – Enter to search, Esc to cancel",
    "status.claimed_by_me": "Claimed (me)",
    "support.title": "Operations and support – no patient data is shown here",
    "support.signed_in_as": "Signed in as",
    "support.inbox": "Inbox",
    "support.waiting": "Waiting",
    "support.claimed": "Claimed",
    "support.oldest": "Oldest",
    "done.claim": "You claimed the item.",
    "done.unclaim": "The item is back in its inbox.",
    "done.complete": "The item is completed.",
    "done.forward": "The item was forwarded.",
    "filter.type": "Type",
    "filter.status": "Status",
    "filter.owner": "Owner",
    "filter.status.requested": "waiting",
    "filter.status.in-progress": "claimed",
    "filter.status.completed": "completed",
    "filter.status.requested_in-progress": "open",
    "filter.status.all": "all",
    "filter.owner.mine": "mine",
    "filter.owner.unclaimed": "unclaimed",
    "sort.priority": "priority",
    "sort.authored-on": "oldest first",
    "sort.authored-on.desc": "newest first",
    "action.cancel_search": "Cancel search",
    "msg.on_behalf_of": "{proxy} on behalf of {patient}",
    "help.move": "Move the cursor in the list",
    "help.first_last": "First / last item",
    "conflict.forwarded_to": "This item was forwarded to {name}.",
    "reply.draft_not_saved_closed": "The draft could not be saved on the portal.",
    "allergy.low": "low risk",
    "allergy.high": "high risk",
    "allergy.unable-to-assess": "risk unknown",
})


_NB.update({
    "cli.no_portal": "Ingen portal er satt opp. Bruk --portal ADRESSE, sett HELSAMI_PORTAL, eller skriv portal = \"...\" i {path}. For å prøve appen uten portal: helsami-tui demo",
    "cli.no_keyring_login": "Ingen nøkkelring er tilgjengelig her, så innloggingen kan ikke tas vare på etter denne kommandoen. Kjør helsami-tui i stedet: den logger inn og holder økten i minnet så lenge den kjører.",
    "cli.signed_in": "Logget inn.",
    "cli.not_signed_in": "Ikke innlogget.",
    "cli.signed_out": "Logget ut.",
    "cli.demo_starting": "Starter demoportalen med syntetiske data …",
})
_EN.update({
    "cli.no_portal": "No portal is configured. Use --portal URL, set HELSAMI_PORTAL, or write portal = \"...\" in {path}. To try the app without a portal: helsami-tui demo",
    "cli.no_keyring_login": "No keyring is available here, so the session cannot be kept after this command. Run helsami-tui instead: it signs in and keeps the session in memory while it runs.",
    "cli.signed_in": "Signed in.",
    "cli.not_signed_in": "Not signed in.",
    "cli.signed_out": "Signed out.",
    "cli.demo_starting": "Starting the demo portal with synthetic data …",
})


_NB.update({"keys.unknown": "Ukjente handlinger i innstillingene (keys): {names}. Se F1 for navnene."})
_EN.update({"keys.unknown": "Unknown actions in the settings (keys): {names}. See F1 for the names."})

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


_BINDING_PREFIXES: Final[tuple[str, ...]] = ("action.", "lock.unlock")


def translate_description(text: str) -> str:
    """A key binding's description in the current language.

    Bindings are declared with ``t("action.…")`` when their class is defined, in whatever
    language was current then; this finds the catalog key behind ``text`` (in any language) and
    gives its current translation. Text that is no catalog value is returned unchanged.
    """
    for catalog in CATALOGS.values():
        for key, value in catalog.items():
            if value == text and key.startswith(_BINDING_PREFIXES):
                return t(key)
    return text


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
