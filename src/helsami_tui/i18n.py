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


# Switchboard intake, phone messages, absence, IT support view and `helsami-tui doctor` (issue 6).
_NB.update({
    'action.route': 'Rut videre',
    'action.phone_message': 'Telefonnotat',
    'action.absence': 'Borte',
    'action.search_patient': 'Søk pasient',
    'intake.title': 'Mottak',
    'intake.preview_empty': 'Velg en oppgave for å lese meldingen.',
    'intake.routed': 'Sendt til {name}.',
    'intake.hint': 'f: rut videre · n: telefonnotat · Enter: åpne',
    'route.title': 'Send til',
    'route.filter': 'Skriv for å finne innboks eller person – Enter sender',
    'route.note': 'Internt notat, valgfritt – vises ikke for pasienten. Enter sender.',
    'route.no_match': 'Ingen treff.',
    'phone.title': 'Registrer telefonnotat',
    'phone.name': 'Pasientens navn',
    'phone.birth': 'Fødselsdato, dd.mm.åååå',
    'phone.search_hint': 'Skriv navn og fødselsdato og trykk Enter for å søke.',
    'phone.bad_date': 'Skriv fødselsdatoen som dd.mm.åååå.',
    'phone.no_name': 'Skriv pasientens navn.',
    'phone.no_patients': 'Ingen pasient funnet med dette navnet og denne fødselsdatoen.',
    'phone.found.one': '{n} pasient funnet – velg med Enter.',
    'phone.found.other': '{n} pasienter funnet – velg med Enter.',
    'phone.patient': 'Pasient',
    'phone.choose_patient': 'Velg pasienten fra listen.',
    'phone.subject': 'Emne',
    'phone.text': 'Hva sa innringeren?',
    'phone.target': 'Til innboks eller person – skriv for å søke',
    'phone.choose_target': 'Velg innboks eller person.',
    'phone.empty': 'Skriv emne og hva innringeren sa.',
    'phone.sent': 'Telefonnotatet er registrert: {name}.',
    'phone.sent_again': 'Telefonnotatet var allerede registrert; det er ikke laget på nytt.',
    'phone.offline': 'Portalen svarer ikke. Trykk F5 igjen – notatet registreres bare én gang.',
    'phone.sending': 'Sender …',
    'absence.title': 'Fravær',
    'absence.banner': 'Du er markert borte. Stedfortreder: {name}. F7 for å melde deg tilbake.',
    'absence.banner_none': 'Du er markert borte, uten stedfortreder: oppgavene dine går tilbake til innboksen. F7 for å melde deg tilbake.',
    'absence.explain': 'Velg stedfortreder som får oppgavene dine mens du er borte, eller ingen: da går de tilbake til innboksen. Enter bekrefter.',
    'absence.no_delegate': 'Ingen stedfortreder – tilbake til innboksen',
    'absence.is_away': 'Du er markert borte siden {since}.',
    'absence.delegate': 'Stedfortreder: {name}',
    'absence.back_prompt': 'Trykk Enter for å melde deg tilbake, Esc for å avbryte.',
    'absence.now_away': 'Du er markert borte. Oppgaver overført: {n}.',
    'absence.now_back': 'Du er ikke lenger markert borte.',
    'support.portal': 'Portal',
    'support.version': 'versjon',
    'support.health_ok': 'svarer, {ms} ms',
    'support.health_down': 'svarer ikke: {error}',
    'support.organization': 'Virksomhet',
    'support.kind': 'Type',
    'support.kind.clinical': 'klinisk',
    'support.kind.intake': 'mottak',
    'support.kind.direct': 'direktemeldinger',
    'support.inactive': 'INAKTIV',
    'support.backup': 'Reserve',
    'support.delay': 'flyttes etter',
    'support.response': 'Svarfrist',
    'support.days': '{n} d',
    'support.members': 'Medlemmer',
    'support.escalated': 'Eskalert siste 24 t',
    'support.none': 'ingen',
    'support.count': '{n} innbokser',
    'role.physician': 'lege',
    'role.nurse': 'sykepleier',
    'role.switchboard': 'sentralbord',
    'role.it-support': 'IT-støtte',
    'role.privacy-officer': 'personvern',
    'doctor.title': 'HelsaMi Innboks – diagnose. Trygt å lime inn i en sak: ingen pasientdata og ingen nøkler.',
    'doctor.ok': 'OK',
    'doctor.warn': 'ADVARSEL',
    'doctor.fail': 'FEIL',
    'doctor.info': 'INFO',
    'doctor.yes': 'ja',
    'doctor.no': 'nei',
    'doctor.version': 'helsami-tui {version}, Python {python}, {platform}',
    'doctor.portal': 'Portaladresse',
    'doctor.portal_none': 'Ingen portal er satt opp: bruk --portal, HELSAMI_PORTAL eller innstillingsfilen.',
    'doctor.portal_ok': '{url} svarer: HTTP {status} på {ms} ms, portalens tid {time}.',
    'doctor.portal_down': '{url} svarer ikke: {error}',
    'doctor.portal_version': 'Portalprogram: {name} {version}.',
    'doctor.tls': 'TLS',
    'doctor.tls_ok': 'Sertifikatet er gyldig for {host} og utløper {expires}.',
    'doctor.tls_bad': 'Sertifikatet kunne ikke godkjennes: {error}',
    'doctor.tls_http_local': 'http uten kryptering – greit bare på denne maskinen, localhost.',
    'doctor.tls_http_remote': 'http uten kryptering til en annen maskin. Bruk https.',
    'doctor.discovery': 'OIDC-oppsett',
    'doctor.discovery_ok': '/.well-known/openid-configuration har feltene som trengs.',
    'doctor.discovery_missing': '/.well-known/openid-configuration mangler: {fields}',
    'doctor.discovery_fail': '/.well-known/openid-configuration kunne ikke leses: {error}',
    'doctor.signin': 'Innlogging',
    'doctor.device_ok': 'Endepunktet for innlogging med kode svarer.',
    'doctor.device_fail': 'Endepunktet for innlogging med kode svarer ikke: {error}',
    'doctor.token_none': 'Ingen lagret innlogging for denne portalen. Kjør helsami-tui login.',
    'doctor.token_ok': 'Lagret innlogging virker: {user}, roller {roles}.',
    'doctor.token_bad': 'Lagret innlogging virker ikke: {error} Kjør helsami-tui login.',
    'doctor.clock': 'Klokke',
    'doctor.clock_ok': 'Maskinens klokke avviker {seconds} s fra portalens.',
    'doctor.clock_skew': 'Maskinens klokke avviker {seconds} s fra portalens. Over 60 s kan gi innloggingsfeil: still klokken, for eksempel med NTP.',
    'doctor.clock_unknown': 'Portalen sendte ingen Date-header; avviket kan ikke måles.',
    'doctor.keyring': 'Nøkkelring',
    'doctor.keyring_ok': '{backend} kan brukes.',
    'doctor.keyring_memory': 'Ingen brukbar nøkkelring, {reason}: innloggingen holdes bare i minnet mens appen kjører.',
    'doctor.terminal': 'Terminal',
    'doctor.term_info': 'TERM={term}, COLORTERM={colorterm}, truecolor: {truecolor}, NO_COLOR: {no_color}, størrelse {size}, UTF-8: {utf8}, SSH: {ssh}, tmux/screen: {mux}',
    'doctor.term_small': 'Terminalen er mindre enn 80×24.',
    'doctor.term_no_utf8': 'Språkinnstillingen er ikke UTF-8; æ, ø og å kan vises feil. Sett for eksempel LANG=nb_NO.UTF-8.',
    'doctor.summary_ok': 'Alt ser bra ut.',
    'doctor.summary': 'Feil: {fail}. Advarsler: {warn}.',
})
_EN.update({
    'action.route': 'Route',
    'action.phone_message': 'Phone message',
    'action.absence': 'Away',
    'action.search_patient': 'Find patient',
    'intake.title': 'Intake',
    'intake.preview_empty': 'Choose an item to read its message.',
    'intake.routed': 'Sent to {name}.',
    'intake.hint': 'f: route · n: phone message · Enter: open',
    'route.title': 'Route to',
    'route.filter': 'Type to find an inbox or a person – Enter sends',
    'route.note': 'Internal note, optional – not shown to the patient. Enter sends.',
    'route.no_match': 'No match.',
    'phone.title': 'Register a phone message',
    'phone.name': "Patient's name",
    'phone.birth': 'Birth date, dd.mm.yyyy',
    'phone.search_hint': 'Type the name and birth date and press Enter to search.',
    'phone.bad_date': 'Write the birth date as dd.mm.yyyy.',
    'phone.no_name': "Type the patient's name.",
    'phone.no_patients': 'No patient found with this name and birth date.',
    'phone.found.one': '{n} patient found – choose with Enter.',
    'phone.found.other': '{n} patients found – choose with Enter.',
    'phone.patient': 'Patient',
    'phone.choose_patient': 'Choose the patient from the list.',
    'phone.subject': 'Subject',
    'phone.text': 'What did the caller say?',
    'phone.target': 'To an inbox or a person – type to search',
    'phone.choose_target': 'Choose an inbox or a person.',
    'phone.empty': 'Write a subject and what the caller said.',
    'phone.sent': 'The phone message is registered: {name}.',
    'phone.sent_again': 'The phone message was already registered; it was not made again.',
    'phone.offline': 'The portal does not answer. Press F5 again – the message is registered only once.',
    'phone.sending': 'Sending …',
    'absence.title': 'Absence',
    'absence.banner': 'You are marked away. Delegate: {name}. F7 to mark yourself back.',
    'absence.banner_none': 'You are marked away, without a delegate: your items go back to the inbox. F7 to mark yourself back.',
    'absence.explain': 'Choose a delegate who gets your items while you are away, or none: then they go back to the inbox. Enter confirms.',
    'absence.no_delegate': 'No delegate – back to the inbox',
    'absence.is_away': 'You have been marked away since {since}.',
    'absence.delegate': 'Delegate: {name}',
    'absence.back_prompt': 'Press Enter to mark yourself back, Esc to cancel.',
    'absence.now_away': 'You are marked away. Items handed over: {n}.',
    'absence.now_back': 'You are no longer marked away.',
    'support.portal': 'Portal',
    'support.version': 'version',
    'support.health_ok': 'answers, {ms} ms',
    'support.health_down': 'does not answer: {error}',
    'support.organization': 'Organisation',
    'support.kind': 'Kind',
    'support.kind.clinical': 'clinical',
    'support.kind.intake': 'intake',
    'support.kind.direct': 'direct messages',
    'support.inactive': 'INACTIVE',
    'support.backup': 'Back-up',
    'support.delay': 'moved after',
    'support.response': 'Response time',
    'support.days': '{n} d',
    'support.members': 'Members',
    'support.escalated': 'Escalated last 24 h',
    'support.none': 'none',
    'support.count': '{n} inboxes',
    'role.physician': 'physician',
    'role.nurse': 'nurse',
    'role.switchboard': 'switchboard',
    'role.it-support': 'IT support',
    'role.privacy-officer': 'privacy',
    'doctor.title': 'HelsaMi Inbox – diagnosis. Safe to paste into a ticket: no patient data and no tokens.',
    'doctor.ok': 'OK',
    'doctor.warn': 'WARNING',
    'doctor.fail': 'FAIL',
    'doctor.info': 'INFO',
    'doctor.yes': 'yes',
    'doctor.no': 'no',
    'doctor.version': 'helsami-tui {version}, Python {python}, {platform}',
    'doctor.portal': 'Portal address',
    'doctor.portal_none': 'No portal is configured: use --portal, HELSAMI_PORTAL or the settings file.',
    'doctor.portal_ok': '{url} answers: HTTP {status} in {ms} ms, portal time {time}.',
    'doctor.portal_down': '{url} does not answer: {error}',
    'doctor.portal_version': 'Portal software: {name} {version}.',
    'doctor.tls': 'TLS',
    'doctor.tls_ok': 'The certificate is valid for {host} and expires {expires}.',
    'doctor.tls_bad': 'The certificate was not accepted: {error}',
    'doctor.tls_http_local': 'http without encryption – fine only on this machine, localhost.',
    'doctor.tls_http_remote': 'http without encryption to another machine. Use https.',
    'doctor.discovery': 'OIDC discovery',
    'doctor.discovery_ok': '/.well-known/openid-configuration has the fields needed.',
    'doctor.discovery_missing': '/.well-known/openid-configuration lacks: {fields}',
    'doctor.discovery_fail': '/.well-known/openid-configuration could not be read: {error}',
    'doctor.signin': 'Sign-in',
    'doctor.device_ok': 'The device sign-in endpoint answers.',
    'doctor.device_fail': 'The device sign-in endpoint does not answer: {error}',
    'doctor.token_none': 'No saved sign-in for this portal. Run helsami-tui login.',
    'doctor.token_ok': 'The saved sign-in works: {user}, roles {roles}.',
    'doctor.token_bad': 'The saved sign-in does not work: {error} Run helsami-tui login.',
    'doctor.clock': 'Clock',
    'doctor.clock_ok': "This machine's clock is {seconds} s off the portal's.",
    'doctor.clock_skew': "This machine's clock is {seconds} s off the portal's. Above 60 s sign-in can fail: set the clock, for example with NTP.",
    'doctor.clock_unknown': 'The portal sent no Date header; the skew cannot be measured.',
    'doctor.keyring': 'Keyring',
    'doctor.keyring_ok': '{backend} is usable.',
    'doctor.keyring_memory': 'No usable keyring, {reason}: the session is kept in memory only while the app runs.',
    'doctor.terminal': 'Terminal',
    'doctor.term_info': 'TERM={term}, COLORTERM={colorterm}, truecolor: {truecolor}, NO_COLOR: {no_color}, size {size}, UTF-8: {utf8}, SSH: {ssh}, tmux/screen: {mux}',
    'doctor.term_small': 'The terminal is smaller than 80×24.',
    'doctor.term_no_utf8': 'The locale is not UTF-8; æ, ø and å may show wrongly. Set for example LANG=en_GB.UTF-8.',
    'doctor.summary_ok': 'Everything looks fine.',
    'doctor.summary': 'Failures: {fail}. Warnings: {warn}.',
})

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
