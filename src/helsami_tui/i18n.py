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
  ``<key>.<CLDR plural category>`` (``one``, ``other``; a language with more categories adds keys)
  and are chosen by the language's plural rule (Babel) through :func:`tn`.
* Numbers, dates and times go through :func:`format_number`, :func:`format_datetime`,
  :func:`short_date` (Babel, the locale of the language; clinical time is Europe/Oslo).
* Refusal reasons, Textual's own texts and reply templates are in ``i18n_reasons.py``; batch triage
  (marking items, one action on all marked) in ``i18n_batch.py``.

``t()`` never raises: an unknown key falls back to bokmål, then to the key itself; a missing
placeholder value is left as ``{name}``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Final

from babel import Locale, numbers as babel_numbers

from . import clinical_time

__all__ = [
    "CATALOGS",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "current_language",
    "format_age",
    "format_date",
    "format_datetime",
    "format_number",
    "language_from_env",
    "language_name",
    "plural_category",
    "set_language",
    "short_date",
    "short_datetime",
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
    "app.error": "Noe gikk galt i appen. Prøv igjen; skjer det igjen, gi IT-støtte logg-ID {log_id}.",
    "app.crashed": "HelsaMi Innboks stoppet på grunn av en feil ({kind}). En feilrapport uten pasientdata "
    "er lagret i {path}; send den til IT-støtte.",
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
    "action.claim_next": "Ta neste",
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
    "app.error": "Something went wrong in the app. Try again; if it happens again, give IT support the log id {log_id}.",
    "app.crashed": "HelsaMi Innboks stopped because of an error ({kind}). A crash report without patient "
    "data is saved in {path}; send it to IT support.",
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
    "action.claim_next": "Claim next",
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


# Decisions: renewals, results, questionnaires, appointment requests (issue 5).
_NB.update(
    {
        "action.approve": "Godkjenn",
        "action.deny": "Avslå",
        "action.pend": "Send til lege",
        "action.ask_info": "Spør pasienten",
        "action.release": "Frigi",
        "action.mark_reviewed": "Merk vurdert",
        "action.confirm_time": "Bekreft time",
        "action.propose_time": "Foreslå time",
        "action.decline": "Avslå",
        "action.acknowledge": "Kvitter",
        "action.acknowledge_all": "Kvitter alle",
        "decision.review": "Vurdering",
        "decision.thread": "Samtale med pasienten",
        "decision.no_thread": "Ingen meldinger til pasienten ennå.",
        "decision.decided": "Avgjort: {status}",
        "decision.empty": "Skriv noe først.",
        "decision.sending": "Sender …",
        "decision.refused": "Ikke utført: {reason}",
        "done.approve": "Fornyelsen er godkjent. Pasienten får beskjed.",
        "done.deny": "Fornyelsen er avslått. Pasienten får begrunnelsen.",
        "done.pend": "Sendt til {name} for signering.",
        "done.ask_info": "Spørsmålet er sendt til pasienten.",
        "done.release": "Prøvesvaret er frigitt til pasienten.",
        "done.mark_reviewed": "Merket som vurdert. Ingenting er frigitt.",
        "done.confirm_appointment": "Timen er bekreftet. Pasienten får beskjed.",
        "done.propose_appointment": "Tidspunktet er foreslått for pasienten.",
        "done.decline_appointment": "Forespørselen er avslått. Pasienten får begrunnelsen.",
        "bstatus.approved": "godkjent",
        "bstatus.denied": "avslått",
        "bstatus.pended": "sendt til lege",
        "bstatus.waiting-for-patient": "venter på pasienten",
        "bstatus.released": "frigitt",
        "bstatus.reviewed": "vurdert",
        "bstatus.confirmed": "time bekreftet",
        "bstatus.time-proposed": "time foreslått",
        "bstatus.declined": "avslått",
        "renewal.medicine": "Legemiddel",
        "renewal.strength": "Styrke",
        "renewal.form": "Form",
        "renewal.dosage": "Dosering",
        "renewal.atc": "ATC",
        "renewal.group": "Reseptgruppe",
        "renewal.requested": "Bedt om {date} av {name}",
        "renewal.patient_note": "Fra pasienten",
        "renewal.prior": "Resepten som fornyes",
        "renewal.prior_line": "Skrevet {date} av {name}, status {status}, gyldig til {until}",
        "renewal.prior_dosage": "Dosering da",
        "rxstatus.active": "aktiv",
        "rxstatus.completed": "avsluttet",
        "rxstatus.stopped": "stoppet",
        "rxstatus.cancelled": "kansellert",
        "rxstatus.on-hold": "på vent",
        "renewal.no_prior": "Forespørselen viser ikke til en tidligere resept.",
        "renewal.since": "{days} dager siden forrige resept",
        "renewal.interval": "vanlig intervall {days} dager",
        "renewal.allergies": "Allergier",
        "renewal.no_allergies": "Ingen registrerte allergier.",
        "renewal.others": "Andre aktive legemidler",
        "renewal.no_others": "Ingen andre aktive legemidler.",
        "renewal.warnings": "Advarsler",
        "renewal.no_warnings": "Ingen advarsler.",
        "renewal.warning_marker": "ADVARSEL",
        "renewal.restricted": "{n} journalopplysninger er skjermet og ikke kontrollert.",
        "renewal.verdict": "Protokoll",
        "renewal.routine": "RUTINE – kan fornyes etter protokoll",
        "renewal.exception": "UNNTAK – må vurderes av lege",
        "renewal.why": "Hvorfor",
        "renewal.sources": "Kilder",
        "renewal.prescribers_only": "Bare leger kan godkjenne. Send fornyelsen til en lege med P.",
        "renewal.ack_needed": "Ikke godkjent: hver advarsel må kvitteres først.",
        "ack.title": "Kvitter for advarslene før godkjenning",
        "ack.progress": "Advarsel {index} av {total}",
        "ack.explain": "Les advarselen. Enter kvitterer for denne. F5 kvitterer for alle etter bekreftelse. Esc avbryter uten å godkjenne.",
        "ack.confirm_all": "Trykk F5 en gang til for å bekrefte at du har lest alle {n} advarslene.",
        "ack.done": "Alle advarsler er kvittert.",
        "deny.title": "Avslå fornyelsen",
        "deny.explain": "Skriv begrunnelsen. Pasienten leser den.",
        "ask.title": "Spør pasienten",
        "ask.explain": "Skriv spørsmålet i klart språk. Pasienten svarer i samme samtale.",
        "pend.title": "Send til lege for signering",
        "pend.filter": "Skriv for å finne lege, Enter velger",
        "pend.note": "Internt notat, valgfritt. Vises ikke for pasienten.",
        "pend.choose": "Velg en lege fra listen.",
        "pend.to": "Til",
        "result.report": "Prøvesvar",
        "result.category": "Deling",
        "result.released": "Frigitt til pasienten {date}",
        "result.released_by": "av {name}",
        "result.not_released": "Ikke frigitt til pasienten",
        "result.auto_release": "Frigis automatisk {date} hvis ingen gjør det før",
        "result.never_online": "Deles aldri på nett. Gi svaret i en konsultasjon eller i brev.",
        "result.taken": "Tatt {date}",
        "result.conclusion": "Konklusjon",
        "result.range": "ref.",
        "result.earlier": "Tidligere",
        "result.no_earlier": "ingen tidligere verdier",
        "result.counts": "{abnormal} utenfor referanseområdet, {critical} kritiske",
        "result.critical": "KRITISK",
        "result.flag.H": "høy",
        "result.flag.L": "lav",
        "result.flag.HH": "kritisk høy",
        "result.flag.LL": "kritisk lav",
        "result.flag.A": "unormal",
        "result.flag.AA": "kritisk unormal",
        "result.flag.N": "normal",
        "result.restricted": "{n} verdier er skjermet og vises ikke.",
        "cat.auto": "Frigis automatisk til pasienten",
        "cat.clinician-or-14d": "Frigis av behandler, ellers automatisk etter 14 dager",
        "cat.clinician-only": "Frigis bare av behandler",
        "cat.never-online": "Deles aldri på nett",
        "release.title": "Frigi prøvesvaret",
        "release.explain": "Skriv en kommentar til pasienten i klart språk. Den vises sammen med svaret.",
        "review.title": "Merk som vurdert",
        "review.explain": "Internt notat, valgfritt. Ingenting frigis til pasienten.",
        "quest.title": "Skjema",
        "quest.authored": "Fylt ut {date}",
        "quest.attention": "! Trenger oppfølging",
        "quest.info": "i Les",
        "quest.count": "{n} svar trenger oppfølging",
        "quest.no_answers": "Ingen svar.",
        "appt.request": "Forespørsel",
        "appt.kind.book": "Pasienten ber om ny time",
        "appt.kind.change": "Pasienten vil endre timen",
        "appt.kind.cancel": "Pasienten vil avbestille timen",
        "appt.service": "Tjeneste",
        "appt.current": "Nåværende time",
        "appt.wished": "Ønsket periode",
        "appt.comment": "Fra pasienten",
        "appt.status": "Status",
        "appt.when.title": "Tidspunkt",
        "appt.confirm.title": "Bekreft time",
        "appt.propose.title": "Foreslå en annen time",
        "appt.when.explain": "Skriv dato og klokkeslett som dd.mm.åååå tt:mm, for eksempel 03.12.2026 10:15.",
        "appt.bad_time": "Skriv dato og klokkeslett som dd.mm.åååå tt:mm.",
        "appt.decline.title": "Avslå forespørselen",
        "appt.decline.explain": "Skriv begrunnelsen. Pasienten leser den.",
    }
)
_EN.update(
    {
        "action.approve": "Approve",
        "action.deny": "Deny",
        "action.pend": "Pend to physician",
        "action.ask_info": "Ask the patient",
        "action.release": "Release",
        "action.mark_reviewed": "Mark reviewed",
        "action.confirm_time": "Confirm time",
        "action.propose_time": "Propose time",
        "action.decline": "Decline",
        "action.acknowledge": "Acknowledge",
        "action.acknowledge_all": "Acknowledge all",
        "decision.review": "Review",
        "decision.thread": "Conversation with the patient",
        "decision.no_thread": "No messages to the patient yet.",
        "decision.decided": "Decided: {status}",
        "decision.empty": "Write something first.",
        "decision.sending": "Sending …",
        "decision.refused": "Not done: {reason}",
        "done.approve": "The renewal is approved. The patient is told.",
        "done.deny": "The renewal is denied. The patient gets the reason.",
        "done.pend": "Sent to {name} to sign.",
        "done.ask_info": "The question was sent to the patient.",
        "done.release": "The result is released to the patient.",
        "done.mark_reviewed": "Marked reviewed. Nothing was released.",
        "done.confirm_appointment": "The appointment is confirmed. The patient is told.",
        "done.propose_appointment": "The time was proposed to the patient.",
        "done.decline_appointment": "The request is declined. The patient gets the reason.",
        "bstatus.approved": "approved",
        "bstatus.denied": "denied",
        "bstatus.pended": "pended to a physician",
        "bstatus.waiting-for-patient": "waiting for the patient",
        "bstatus.released": "released",
        "bstatus.reviewed": "reviewed",
        "bstatus.confirmed": "time confirmed",
        "bstatus.time-proposed": "time proposed",
        "bstatus.declined": "declined",
        "renewal.medicine": "Medicine",
        "renewal.strength": "Strength",
        "renewal.form": "Form",
        "renewal.dosage": "Dosage",
        "renewal.atc": "ATC",
        "renewal.group": "Prescription group",
        "renewal.requested": "Asked for {date} by {name}",
        "renewal.patient_note": "From the patient",
        "renewal.prior": "The prescription renewed",
        "renewal.prior_line": "Written {date} by {name}, status {status}, valid until {until}",
        "renewal.prior_dosage": "Dosage then",
        "rxstatus.active": "active",
        "rxstatus.completed": "completed",
        "rxstatus.stopped": "stopped",
        "rxstatus.cancelled": "cancelled",
        "rxstatus.on-hold": "on hold",
        "renewal.no_prior": "The request names no earlier prescription.",
        "renewal.since": "{days} days since the last prescription",
        "renewal.interval": "usual interval {days} days",
        "renewal.allergies": "Allergies",
        "renewal.no_allergies": "No allergies recorded.",
        "renewal.others": "Other active medicines",
        "renewal.no_others": "No other active medicines.",
        "renewal.warnings": "Warnings",
        "renewal.no_warnings": "No warnings.",
        "renewal.warning_marker": "WARNING",
        "renewal.restricted": "{n} records are restricted and were not checked.",
        "renewal.verdict": "Protocol",
        "renewal.routine": "ROUTINE – may be renewed by protocol",
        "renewal.exception": "EXCEPTION – a physician must assess it",
        "renewal.why": "Why",
        "renewal.sources": "Sources",
        "renewal.prescribers_only": "Only physicians can approve. Pend the renewal to a physician with P.",
        "renewal.ack_needed": "Not approved: every warning must be acknowledged first.",
        "ack.title": "Acknowledge the warnings before approving",
        "ack.progress": "Warning {index} of {total}",
        "ack.explain": "Read the warning. Enter acknowledges this one. F5 acknowledges all after a confirmation. Esc cancels without approving.",
        "ack.confirm_all": "Press F5 again to confirm that you have read all {n} warnings.",
        "ack.done": "Every warning is acknowledged.",
        "deny.title": "Deny the renewal",
        "deny.explain": "Write the reason. The patient reads it.",
        "ask.title": "Ask the patient",
        "ask.explain": "Write the question in plain language. The patient answers in the same conversation.",
        "pend.title": "Pend to a physician to sign",
        "pend.filter": "Type to find a physician, Enter chooses",
        "pend.note": "Internal note, optional. Not shown to the patient.",
        "pend.choose": "Choose a physician from the list.",
        "pend.to": "To",
        "result.report": "Test result",
        "result.category": "Sharing",
        "result.released": "Released to the patient {date}",
        "result.released_by": "by {name}",
        "result.not_released": "Not released to the patient",
        "result.auto_release": "Released automatically {date} unless someone does it first",
        "result.never_online": "Never shared online. Give the result in a consultation or by letter.",
        "result.taken": "Taken {date}",
        "result.conclusion": "Conclusion",
        "result.range": "ref.",
        "result.earlier": "Earlier",
        "result.no_earlier": "no earlier values",
        "result.counts": "{abnormal} outside the reference range, {critical} critical",
        "result.critical": "CRITICAL",
        "result.flag.H": "high",
        "result.flag.L": "low",
        "result.flag.HH": "critically high",
        "result.flag.LL": "critically low",
        "result.flag.A": "abnormal",
        "result.flag.AA": "critically abnormal",
        "result.flag.N": "normal",
        "result.restricted": "{n} values are restricted and not shown.",
        "cat.auto": "Released to the patient automatically",
        "cat.clinician-or-14d": "Released by a clinician, else automatically after 14 days",
        "cat.clinician-only": "Released only by a clinician",
        "cat.never-online": "Never shared online",
        "release.title": "Release the result",
        "release.explain": "Write a comment for the patient in plain language. It is shown with the result.",
        "review.title": "Mark reviewed",
        "review.explain": "Internal note, optional. Nothing is released to the patient.",
        "quest.title": "Form",
        "quest.authored": "Filled in {date}",
        "quest.attention": "! Needs follow-up",
        "quest.info": "i Read",
        "quest.count": "{n} answers need follow-up",
        "quest.no_answers": "No answers.",
        "appt.request": "Request",
        "appt.kind.book": "The patient asks for an appointment",
        "appt.kind.change": "The patient wants to change the appointment",
        "appt.kind.cancel": "The patient wants to cancel the appointment",
        "appt.service": "Service",
        "appt.current": "Current appointment",
        "appt.wished": "Wished period",
        "appt.comment": "From the patient",
        "appt.status": "Status",
        "appt.when.title": "Time",
        "appt.confirm.title": "Confirm the appointment",
        "appt.propose.title": "Propose another time",
        "appt.when.explain": "Type date and time as dd/mm/yyyy hh:mm, for example 03/12/2026 10:15.",
        "appt.bad_time": "Type date and time as dd/mm/yyyy hh:mm.",
        "appt.decline.title": "Decline the request",
        "appt.decline.explain": "Write the reason. The patient reads it.",
    }
)

# Keys of the app's screens (added with the screens).
_NB.update(
    {
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
    }
)
_EN.update(
    {
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
    }
)


_NB.update(
    {
        "cli.no_portal": 'Ingen portal er satt opp. Bruk --portal ADRESSE, sett HELSAMI_PORTAL, eller skriv portal = "..." i {path}. For å prøve appen uten portal: helsami-tui demo',
        "cli.no_keyring_login": "Ingen nøkkelring er tilgjengelig her, så innloggingen kan ikke tas vare på etter denne kommandoen. Kjør helsami-tui i stedet: den logger inn og holder økten i minnet så lenge den kjører.",
        "cli.signed_in": "Logget inn.",
        "cli.not_signed_in": "Ikke innlogget.",
        "cli.sign_in_interrupted": "Innloggingen ble avbrutt.",
        "cli.signed_out": "Logget ut.",
        "cli.demo_starting": "Starter demoportalen med syntetiske data …",
    }
)
_EN.update(
    {
        "cli.no_portal": 'No portal is configured. Use --portal URL, set HELSAMI_PORTAL, or write portal = "..." in {path}. To try the app without a portal: helsami-tui demo',
        "cli.no_keyring_login": "No keyring is available here, so the session cannot be kept after this command. Run helsami-tui instead: it signs in and keeps the session in memory while it runs.",
        "cli.signed_in": "Signed in.",
        "cli.not_signed_in": "Not signed in.",
        "cli.sign_in_interrupted": "Sign-in interrupted.",
        "cli.signed_out": "Signed out.",
        "cli.demo_starting": "Starting the demo portal with synthetic data …",
    }
)


_NB.update({"keys.unknown": "Ukjente handlinger i innstillingene (keys): {names}. Se F1 for navnene."})
_EN.update({"keys.unknown": "Unknown actions in the settings (keys): {names}. See F1 for the names."})


# Switchboard intake, phone messages, absence, IT support view and `helsami-tui doctor` (issue 6).
_NB.update(
    {
        "action.route": "Rut videre",
        "action.phone_message": "Telefonnotat",
        "action.absence": "Borte",
        "intake.preview_empty": "Velg en oppgave for å lese meldingen.",
        "route.title": "Send til",
        "route.filter": "Skriv for å finne innboks eller person – Enter sender",
        "route.note": "Internt notat, valgfritt – vises ikke for pasienten. Enter sender.",
        "route.no_match": "Ingen treff.",
        "phone.title": "Registrer telefonnotat",
        "phone.name": "Pasientens navn",
        "phone.birth": "Fødselsdato, dd.mm.åååå",
        "phone.search_hint": "Skriv navn og fødselsdato og trykk Enter for å søke.",
        "phone.bad_date": "Skriv fødselsdatoen som dd.mm.åååå.",
        "phone.no_name": "Skriv pasientens navn.",
        "phone.no_patients": "Ingen pasient funnet med dette navnet og denne fødselsdatoen.",
        "phone.found.one": "{n} pasient funnet – velg med Enter.",
        "phone.found.other": "{n} pasienter funnet – velg med Enter.",
        "phone.patient": "Pasient",
        "phone.choose_patient": "Velg pasienten fra listen.",
        "phone.subject": "Emne",
        "phone.text": "Hva sa innringeren?",
        "phone.target": "Til innboks eller person – skriv for å søke",
        "phone.choose_target": "Velg innboks eller person.",
        "phone.empty": "Skriv emne og hva innringeren sa.",
        "phone.sent": "Telefonnotatet er registrert: {name}.",
        "phone.sent_again": "Telefonnotatet var allerede registrert; det er ikke laget på nytt.",
        "phone.offline": "Portalen svarer ikke. Trykk F5 igjen – notatet registreres bare én gang.",
        "phone.sending": "Sender …",
        "absence.title": "Fravær",
        "absence.banner": "Du er markert borte. Stedfortreder: {name}. F7 for å melde deg tilbake.",
        "absence.banner_none": "Du er markert borte, uten stedfortreder: oppgavene dine går tilbake til innboksen. F7 for å melde deg tilbake.",
        "absence.explain": "Velg stedfortreder som får oppgavene dine mens du er borte, eller ingen: da går de tilbake til innboksen. Enter bekrefter.",
        "absence.no_delegate": "Ingen stedfortreder – tilbake til innboksen",
        "absence.is_away": "Du er markert borte siden {since}.",
        "absence.delegate": "Stedfortreder: {name}",
        "absence.back_prompt": "Trykk Enter for å melde deg tilbake, Esc for å avbryte.",
        "absence.now_away": "Du er markert borte. Oppgaver overført: {n}.",
        "absence.now_back": "Du er ikke lenger markert borte.",
        "msg.phone_from": "Telefon fra",
        "support.portal": "Portal",
        "support.version": "versjon",
        "support.health_ok": "svarer, {ms} ms",
        "support.health_down": "svarer ikke: {error}",
        "support.organization": "Virksomhet",
        "support.kind": "Type",
        "support.kind.clinical": "klinisk",
        "support.kind.intake": "mottak",
        "support.kind.direct": "direktemeldinger",
        "support.inactive": "INAKTIV",
        "support.backup": "Reserve",
        "support.delay": "flyttes etter",
        "support.response": "Svarfrist",
        "support.days": "{n} d",
        "support.members": "Medlemmer",
        "support.escalated": "Eskalert siste 24 t",
        "support.none": "ingen",
        "support.count": "{n} innbokser",
        "role.physician": "lege",
        "role.nurse": "sykepleier",
        "role.switchboard": "sentralbord",
        "role.it-support": "IT-støtte",
        "role.privacy-officer": "personvern",
        "doctor.title": "HelsaMi Innboks – diagnose. Trygt å lime inn i en sak: ingen pasientdata og ingen nøkler.",
        "doctor.ok": "OK",
        "doctor.warn": "ADVARSEL",
        "doctor.fail": "FEIL",
        "doctor.info": "INFO",
        "doctor.yes": "ja",
        "doctor.no": "nei",
        "doctor.version": "helsami-tui {version}, Python {python}, {platform}",
        "doctor.portal": "Portaladresse",
        "doctor.portal_none": "Ingen portal er satt opp: bruk --portal, HELSAMI_PORTAL eller innstillingsfilen.",
        "doctor.portal_ok": "{url} svarer: HTTP {status} på {ms} ms, portalens tid {time}.",
        "doctor.portal_down": "{url} svarer ikke: {error}",
        "doctor.portal_version": "Portalprogram: {name} {version}.",
        "doctor.tls": "TLS",
        "doctor.tls_ok": "Sertifikatet er gyldig for {host} og utløper {expires}.",
        "doctor.tls_bad": "Sertifikatet kunne ikke godkjennes: {error}",
        "doctor.tls_http_local": "http uten kryptering – greit bare på denne maskinen, localhost.",
        "doctor.tls_http_remote": "http uten kryptering til en annen maskin. Bruk https.",
        "doctor.discovery": "OIDC-oppsett",
        "doctor.discovery_ok": "/.well-known/openid-configuration har feltene som trengs.",
        "doctor.discovery_missing": "/.well-known/openid-configuration mangler: {fields}",
        "doctor.discovery_fail": "/.well-known/openid-configuration kunne ikke leses: {error}",
        "doctor.signin": "Innlogging",
        "doctor.device_ok": "Endepunktet for innlogging med kode svarer.",
        "doctor.device_fail": "Endepunktet for innlogging med kode svarer ikke: {error}",
        "doctor.token_none": "Ingen lagret innlogging for denne portalen. Kjør helsami-tui login.",
        "doctor.token_ok": "Lagret innlogging virker: {user}, roller {roles}.",
        "doctor.token_bad": "Lagret innlogging virker ikke: {error} Kjør helsami-tui login.",
        "doctor.clock": "Klokke",
        "doctor.clock_ok": "Maskinens klokke avviker {seconds} s fra portalens.",
        "doctor.clock_skew": "Maskinens klokke avviker {seconds} s fra portalens. Over 60 s kan gi innloggingsfeil: still klokken, for eksempel med NTP.",
        "doctor.clock_unknown": "Portalen sendte ingen Date-header; avviket kan ikke måles.",
        "doctor.keyring": "Nøkkelring",
        "doctor.keyring_ok": "{backend} kan brukes.",
        "doctor.keyring_memory": "Ingen brukbar nøkkelring, {reason}: innloggingen holdes bare i minnet mens appen kjører.",
        "doctor.keyring_reason.missing": "nøkkelringen kan ikke lastes ({detail})",
        "doctor.keyring_reason.unusable": "ingen nøkkelring-tjeneste å lagre i ({detail})",
        "doctor.keyring_reason.by_choice": "bare minnet er valgt for denne økten",
        "doctor.keyring_reason.failed": "nøkkelringen feilet ({detail})",
        "doctor.terminal": "Terminal",
        "doctor.term_info": "TERM={term}, COLORTERM={colorterm}, truecolor: {truecolor}, NO_COLOR: {no_color}, størrelse {size}, UTF-8: {utf8}, SSH: {ssh}, tmux/screen: {mux}",
        "doctor.term_small": "Terminalen er mindre enn 80×24.",
        "doctor.term_no_utf8": "Språkinnstillingen er ikke UTF-8; æ, ø og å kan vises feil. Sett for eksempel LANG=nb_NO.UTF-8.",
        "doctor.summary_ok": "Alt ser bra ut.",
        "doctor.summary": "Feil: {fail}. Advarsler: {warn}.",
        "doctor.error.connect": "kan ikke koble til (adressen finnes ikke, eller ingen svarer på porten).",
        "doctor.error.timeout": "fikk ikke svar i tide.",
        "doctor.error.status": "svarte med HTTP {status}.",
        "doctor.error.http": "forbindelsen ble brutt, eller svaret var ikke HTTP.",
        "doctor.error.bad_answer": "svaret var ikke det som ble ventet (ikke gyldig JSON).",
        "doctor.error.unknown": "en ukjent feil.",
        "doctor.error.tls": "TLS-forhandlingen mislyktes.",
        "doctor.error.tls_expired": "sertifikatet er utløpt.",
        "doctor.error.tls_self_signed": "sertifikatet er selvsignert og ikke klarert på denne maskinen.",
        "doctor.error.tls_hostname": "sertifikatet gjelder ikke for dette vertsnavnet.",
        "doctor.error.tls_untrusted": "sertifikatet er ikke utstedt av en klarert utsteder.",
    }
)
_EN.update(
    {
        "action.route": "Route",
        "action.phone_message": "Phone message",
        "action.absence": "Away",
        "intake.preview_empty": "Choose an item to read its message.",
        "route.title": "Route to",
        "route.filter": "Type to find an inbox or a person – Enter sends",
        "route.note": "Internal note, optional – not shown to the patient. Enter sends.",
        "route.no_match": "No match.",
        "phone.title": "Register a phone message",
        "phone.name": "Patient's name",
        "phone.birth": "Birth date, dd.mm.yyyy",
        "phone.search_hint": "Type the name and birth date and press Enter to search.",
        "phone.bad_date": "Write the birth date as dd.mm.yyyy.",
        "phone.no_name": "Type the patient's name.",
        "phone.no_patients": "No patient found with this name and birth date.",
        "phone.found.one": "{n} patient found – choose with Enter.",
        "phone.found.other": "{n} patients found – choose with Enter.",
        "phone.patient": "Patient",
        "phone.choose_patient": "Choose the patient from the list.",
        "phone.subject": "Subject",
        "phone.text": "What did the caller say?",
        "phone.target": "To an inbox or a person – type to search",
        "phone.choose_target": "Choose an inbox or a person.",
        "phone.empty": "Write a subject and what the caller said.",
        "phone.sent": "The phone message is registered: {name}.",
        "phone.sent_again": "The phone message was already registered; it was not made again.",
        "phone.offline": "The portal does not answer. Press F5 again – the message is registered only once.",
        "phone.sending": "Sending …",
        "absence.title": "Absence",
        "absence.banner": "You are marked away. Delegate: {name}. F7 to mark yourself back.",
        "absence.banner_none": "You are marked away, without a delegate: your items go back to the inbox. F7 to mark yourself back.",
        "absence.explain": "Choose a delegate who gets your items while you are away, or none: then they go back to the inbox. Enter confirms.",
        "absence.no_delegate": "No delegate – back to the inbox",
        "absence.is_away": "You have been marked away since {since}.",
        "absence.delegate": "Delegate: {name}",
        "absence.back_prompt": "Press Enter to mark yourself back, Esc to cancel.",
        "absence.now_away": "You are marked away. Items handed over: {n}.",
        "absence.now_back": "You are no longer marked away.",
        "msg.phone_from": "Phone call from",
        "support.portal": "Portal",
        "support.version": "version",
        "support.health_ok": "answers, {ms} ms",
        "support.health_down": "does not answer: {error}",
        "support.organization": "Organisation",
        "support.kind": "Kind",
        "support.kind.clinical": "clinical",
        "support.kind.intake": "intake",
        "support.kind.direct": "direct messages",
        "support.inactive": "INACTIVE",
        "support.backup": "Back-up",
        "support.delay": "moved after",
        "support.response": "Response time",
        "support.days": "{n} d",
        "support.members": "Members",
        "support.escalated": "Escalated last 24 h",
        "support.none": "none",
        "support.count": "{n} inboxes",
        "role.physician": "physician",
        "role.nurse": "nurse",
        "role.switchboard": "switchboard",
        "role.it-support": "IT support",
        "role.privacy-officer": "privacy",
        "doctor.title": "HelsaMi Inbox – diagnosis. Safe to paste into a ticket: no patient data and no tokens.",
        "doctor.ok": "OK",
        "doctor.warn": "WARNING",
        "doctor.fail": "FAIL",
        "doctor.info": "INFO",
        "doctor.yes": "yes",
        "doctor.no": "no",
        "doctor.version": "helsami-tui {version}, Python {python}, {platform}",
        "doctor.portal": "Portal address",
        "doctor.portal_none": "No portal is configured: use --portal, HELSAMI_PORTAL or the settings file.",
        "doctor.portal_ok": "{url} answers: HTTP {status} in {ms} ms, portal time {time}.",
        "doctor.portal_down": "{url} does not answer: {error}",
        "doctor.portal_version": "Portal software: {name} {version}.",
        "doctor.tls": "TLS",
        "doctor.tls_ok": "The certificate is valid for {host} and expires {expires}.",
        "doctor.tls_bad": "The certificate was not accepted: {error}",
        "doctor.tls_http_local": "http without encryption – fine only on this machine, localhost.",
        "doctor.tls_http_remote": "http without encryption to another machine. Use https.",
        "doctor.discovery": "OIDC discovery",
        "doctor.discovery_ok": "/.well-known/openid-configuration has the fields needed.",
        "doctor.discovery_missing": "/.well-known/openid-configuration lacks: {fields}",
        "doctor.discovery_fail": "/.well-known/openid-configuration could not be read: {error}",
        "doctor.signin": "Sign-in",
        "doctor.device_ok": "The device sign-in endpoint answers.",
        "doctor.device_fail": "The device sign-in endpoint does not answer: {error}",
        "doctor.token_none": "No saved sign-in for this portal. Run helsami-tui login.",
        "doctor.token_ok": "The saved sign-in works: {user}, roles {roles}.",
        "doctor.token_bad": "The saved sign-in does not work: {error} Run helsami-tui login.",
        "doctor.clock": "Clock",
        "doctor.clock_ok": "This machine's clock is {seconds} s off the portal's.",
        "doctor.clock_skew": "This machine's clock is {seconds} s off the portal's. Above 60 s sign-in can fail: set the clock, for example with NTP.",
        "doctor.clock_unknown": "The portal sent no Date header; the skew cannot be measured.",
        "doctor.keyring": "Keyring",
        "doctor.keyring_ok": "{backend} is usable.",
        "doctor.keyring_memory": "No usable keyring, {reason}: the session is kept in memory only while the app runs.",
        "doctor.keyring_reason.missing": "the keyring cannot be loaded ({detail})",
        "doctor.keyring_reason.unusable": "no keyring service to store in ({detail})",
        "doctor.keyring_reason.by_choice": "memory only is chosen for this session",
        "doctor.keyring_reason.failed": "the keyring failed ({detail})",
        "doctor.terminal": "Terminal",
        "doctor.term_info": "TERM={term}, COLORTERM={colorterm}, truecolor: {truecolor}, NO_COLOR: {no_color}, size {size}, UTF-8: {utf8}, SSH: {ssh}, tmux/screen: {mux}",
        "doctor.term_small": "The terminal is smaller than 80×24.",
        "doctor.term_no_utf8": "The locale is not UTF-8; æ, ø and å may show wrongly. Set for example LANG=en_GB.UTF-8.",
        "doctor.summary_ok": "Everything looks fine.",
        "doctor.summary": "Failures: {fail}. Warnings: {warn}.",
        "doctor.error.connect": "cannot connect (the address does not exist, or nothing answers on the port).",
        "doctor.error.timeout": "no answer in time.",
        "doctor.error.status": "answered with HTTP {status}.",
        "doctor.error.http": "the connection broke, or the answer was not HTTP.",
        "doctor.error.bad_answer": "the answer was not what was expected (not valid JSON).",
        "doctor.error.unknown": "an unknown failure.",
        "doctor.error.tls": "the TLS handshake failed.",
        "doctor.error.tls_expired": "the certificate has expired.",
        "doctor.error.tls_self_signed": "the certificate is self-signed and not trusted on this machine.",
        "doctor.error.tls_hostname": "the certificate is not for this host name.",
        "doctor.error.tls_untrusted": "the certificate is not issued by a trusted authority.",
    }
)

# Clinical safety (issue 12): the clinical time zone, the lock, notes, confirmations, reopening.
_NB.update(
    {
        "appt.zone": "Tider i {zone}.",
        "lock.other_user": "Logget inn som {name}. Den forrige brukeren er logget helt ut.",
        "action.note": "Internt notat",
        "action.reopen": "Gjenåpne",
        "action.new_message": "Ny melding",
        "note.title": "Interne notater ({n}), nyeste først",
        "note.pend": "SENDT TIL LEGE – internt notat",
        "note.reopen": "GJENÅPNET – internt notat",
        "note.prompt.title": "Internt notat",
        "note.prompt.explain": "Bare ansatte ser notatet, aldri pasienten. Oppgaven blir der den er.",
        "done.add_note": "Notatet er lagret.",
        "done.reopen": "Oppgaven er åpnet igjen, og du har den.",
        "done.message_patient": "Meldingen er sendt til pasienten.",
        "confirm.unanswered.title": "Pasienten har ikke fått svar",
        "confirm.unanswered.body": "Det siste i samtalen er fra pasienten, og ingen har svart.",
        "confirm.unanswered.question": "Fullføre likevel? Enter fullfører, Esc avbryter.",
        "approve.title": "Godkjenne fornyelsen?",
        "approve.summary": "{medicine} · {dosage} · {quantity} · gyldig til {until}",
        "approve.no_dosage": "dosering ikke oppgitt",
        "approve.no_quantity": "mengde ikke oppgitt",
        "approve.question": "Enter godkjenner og signerer, Esc avbryter.",
        "newmsg.title": "Ny melding til pasienten",
        "newmsg.explain": "Pasienten leser meldingen i HelsaMi. Oppgaven blir der den er.",
    }
)
_EN.update(
    {
        "appt.zone": "Times in {zone}.",
        "lock.other_user": "Signed in as {name}. The previous user was signed out completely.",
        "action.note": "Internal note",
        "action.reopen": "Reopen",
        "action.new_message": "New message",
        "note.title": "Internal notes ({n}), newest first",
        "note.pend": "PENDED TO A PHYSICIAN – internal note",
        "note.reopen": "REOPENED – internal note",
        "note.prompt.title": "Internal note",
        "note.prompt.explain": "Only staff see the note, never the patient. The item stays where it is.",
        "done.add_note": "The note is saved.",
        "done.reopen": "The item is open again, and it is yours.",
        "done.message_patient": "The message was sent to the patient.",
        "confirm.unanswered.title": "The patient has had no answer",
        "confirm.unanswered.body": "The last thing in the conversation is from the patient, and nobody has answered.",
        "confirm.unanswered.question": "Complete it anyway? Enter completes, Esc cancels.",
        "approve.title": "Approve the renewal?",
        "approve.summary": "{medicine} · {dosage} · {quantity} · valid until {until}",
        "approve.no_dosage": "dosage not stated",
        "approve.no_quantity": "amount not stated",
        "approve.question": "Enter approves and signs, Esc cancels.",
        "newmsg.title": "New message to the patient",
        "newmsg.explain": "The patient reads the message in HelsaMi. The item stays where it is.",
    }
)
# Sign-in as the app's first screen, and the app in a browser (helsami-tui serve-web; issue 16).
_NB.update(
    {
        "signin.starting": "Kobler til portalen …",
        "signin.retry": "Prøv igjen",
        "signin.press_enter": "Trykk Enter for å prøve igjen, Ctrl+Q for å avslutte.",
        "signin.denied": "Innloggingen ble avvist på godkjenningssiden.",
        "signin.expired": "Koden gikk ut før den ble godkjent.",
        "signin.unreachable": "Får ikke kontakt med portalen. Sjekk nettverket og adressen.",
        "signin.reconnecting": "Mistet kontakten med portalen; prøver igjen …",
        "signin.valid_for.one": "Koden gjelder i {n} minutt til.",
        "signin.valid_for.other": "Koden gjelder i {n} minutter til.",
        "web.loading": "Starter HelsaMi Innboks …",
        "web.open": "Åpne",
        "web.session_ended": "Økten er avsluttet.",
        "web.restart": "Åpne på nytt",
        "web.serving": "HelsaMi Innboks i nettleseren: {url} (Ctrl+C stopper)",
        "web.demo_portal": "Demoportal: {url}",
    }
)
_EN.update(
    {
        "signin.starting": "Connecting to the portal …",
        "signin.retry": "Try again",
        "signin.press_enter": "Press Enter to try again, Ctrl+Q to quit.",
        "signin.denied": "The sign-in was denied on the approval page.",
        "signin.expired": "The code expired before it was approved.",
        "signin.unreachable": "The portal cannot be reached. Check the network and the address.",
        "signin.reconnecting": "Lost contact with the portal; trying again …",
        "signin.valid_for.one": "The code is valid for {n} more minute.",
        "signin.valid_for.other": "The code is valid for {n} more minutes.",
        "web.loading": "Starting HelsaMi Inbox …",
        "web.open": "Open",
        "web.session_ended": "The session has ended.",
        "web.restart": "Open again",
        "web.serving": "HelsaMi Inbox in the browser: {url} (Ctrl+C stops)",
        "web.demo_portal": "Demo portal: {url}",
    }
)
# Refusal reasons, their arguments, Textual's own texts, formats and plural forms (issue 13): kept in
# their own module (i18n_reasons.py) so that this file's blocks merge cleanly.
from .i18n_reasons import (  # noqa: E402
    EN as _EN_REASONS,
    NB as _NB_REASONS,
    TEXTUAL_DESCRIPTIONS,
)

_NB.update(_NB_REASONS)
_EN.update(_EN_REASONS)
# The document library and attachments (issue 17), in their own module for the same reason.
from .i18n_library import (  # noqa: E402
    EN as _EN_LIBRARY,
    NB as _NB_LIBRARY,
)

_NB.update(_NB_LIBRARY)
_EN.update(_EN_LIBRARY)
# Batch triage (issue 17): its own module, like the reasons.
from .i18n_batch import (  # noqa: E402
    EN as _EN_BATCH,
    NB as _NB_BATCH,
)

_NB.update(_NB_BATCH)
_EN.update(_EN_BATCH)
# The access log's codes of what was read and of the basis (issue 13): its own module, likewise.
from .i18n_access import (  # noqa: E402
    EN as _EN_ACCESS,
    NB as _NB_ACCESS,
)

_NB.update(_NB_ACCESS)
_EN.update(_EN_ACCESS)

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


def _language_of(value: str) -> str | None:
    """The catalog language a locale name asks for ("nb_NO.UTF-8" -> "nb"), or None."""
    lang = value.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    if lang in ("nb", "nn", "no"):
        return "nb"
    return lang if lang in CATALOGS else None


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """A language code from ``HELSAMI_LANG``, else ``LC_ALL``, ``LC_MESSAGES`` or ``LANG``, else bokmål.

    A variable naming no language we ship ("C", "POSIX", "de_DE") is passed over.
    """
    env = os.environ if environ is None else environ
    for var in ("HELSAMI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        code = _language_of(env.get(var, "") or "")
        if code:
            return code
    return DEFAULT_LANGUAGE


def language_name(code: str | None = None) -> str:
    """The name of a language in that language ("Norsk bokmål", "English")."""
    return LANGUAGES.get(code or _current, code or _current)


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


_BINDING_PREFIXES: Final[tuple[str, ...]] = ("action.", "lock.unlock", "log.key.", "signin.retry")


def translate_description(text: str) -> str:
    """A key binding's description in the current language.

    Bindings are declared with ``t("action.…")`` when their class is defined, in whatever
    language was current then; this finds the catalog key behind ``text`` (in any language) and
    gives its current translation. Text that is no catalog value is returned unchanged.
    """
    if text in TEXTUAL_DESCRIPTIONS:  # one of Textual's own (English) descriptions
        return t(TEXTUAL_DESCRIPTIONS[text])
    for catalog in CATALOGS.values():
        for key, value in catalog.items():
            if value == text and key.startswith(_BINDING_PREFIXES + ("textual.",)):
                return t(key)
    return text


# Whole numbers in the two languages, as CLDR (Babel) has them: the plural rule ("one" for 1 alone)
# and the group separator; read without loading Babel's locale data, which takes 60-70 ms (the
# first counts and the status line of the start-up need nothing else). test_i18n checks them
# against Babel.
_WHOLE_GROUP: Final[dict[str, str]] = {"nb": "\u00a0", "en": ","}


def plural_category(n: float, language: str | None = None) -> str:
    """The CLDR plural category of ``n`` in the language ("one", "other", ...), by Babel's rules."""
    if type(n) is int and (language or _current) in _WHOLE_GROUP:
        return "one" if abs(n) == 1 else "other"
    return _locale(language).plural_form(abs(n))


def tn(key: str, n: int, **kwargs: object) -> str:
    """Plural-aware ``t``: ``<key>.<category>`` by the language's plural rule (Babel/CLDR), falling
    back to ``<key>.other``; ``{n}`` is set to the number formatted for the locale."""
    category = plural_category(n)
    catalog = CATALOGS[_current]
    chosen = f"{key}.{category}" if f"{key}.{category}" in catalog else f"{key}.other"
    return t(chosen, **{"n": format_number(n), **kwargs})


# -- numbers, dates and times for the locale (Babel) -------------------------------------------

BABEL_LOCALES: Final[dict[str, str]] = {"nb": "nb_NO", "en": "en_GB"}


def _locale(language: str | None = None) -> Locale:
    return Locale.parse(BABEL_LOCALES.get(language or _current, "nb_NO"))


def format_number(value: float | int, digits: int | None = None) -> str:
    """A number for the locale: "6,3" in bokmål, "6.3" in English; no grouping of small numbers."""
    if digits is not None:
        pattern = "0." + "0" * digits if digits > 0 else "0"
        return babel_numbers.format_decimal(value, format=pattern, locale=_locale())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    group = _WHOLE_GROUP.get(_current)
    if group is not None and type(value) is int and value >= 0:
        return f"{value:,}".replace(",", group) if value >= 10_000 else str(value)
    return babel_numbers.format_decimal(value, locale=_locale(), group_separator=abs(value) >= 10_000)


def format_range(low: float | None, high: float | None, text: str = "") -> str:
    """A reference range with numbers for the locale ("13,4–17" in bokmål, "< 5", "> 60"); `text`
    (the portal's own wording) when it has no numbers."""
    if low is not None and high is not None:
        return f"{format_number(low)}–{format_number(high)}"
    if high is not None:
        return f"< {format_number(high)}"
    if low is not None:
        return f"> {format_number(low)}"
    return str(text or "")


def local_time(value: dt.datetime) -> dt.datetime:
    """An instant in clinical time (clinical_time: Europe/Oslo unless set); a naive value counts as UTC."""
    return clinical_time.local(value)


def format_datetime(value: dt.datetime) -> str:
    """Date and time in clinical time for the locale: "1. des. 2026 kl. 10:30" / "1 Dec 2026, 10:30"."""
    from babel import dates as babel_dates  # loaded with the first date shown, not at start-up

    local = local_time(value)
    return t(
        "fmt.datetime",
        date=babel_dates.format_date(local, "medium", locale=_locale()),
        time=babel_dates.format_time(local, "HH:mm", locale=_locale()),
    )


_SHORT_DATE: Final[dict[str, str]] = {"nb": "dd.MM.y", "en": "dd/MM/y"}  # CLDR's short dates, 4-digit years


def short_date(value: dt.date | dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """A short date for the locale ("03.12.2026" / "03/12/2026"); a datetime is shown in `tz` (None:
    the clinical zone, never the host's)."""
    from babel import dates as babel_dates  # loaded with the first date shown, not at start-up

    if isinstance(value, dt.datetime):
        value = clinical_time.local(value, tz).date()
    return babel_dates.format_date(value, _SHORT_DATE.get(_current, "dd.MM.y"), locale=_locale())


def short_datetime(value: dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """A short date and time for the locale ("03.12.2026 10:15" / "03/12/2026 10:15") in `tz` (None:
    the clinical zone)."""
    local = clinical_time.local(value, tz)
    return f"{short_date(local.date())} {local:%H:%M}"


def format_date(value: dt.date) -> str:
    """A date for the locale ("1. des. 2026" / "1 Dec 2026")."""
    from babel import dates as babel_dates  # loaded with the first date shown, not at start-up

    if isinstance(value, dt.datetime):
        value = local_time(value).date()
    return babel_dates.format_date(value, "medium", locale=_locale())


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


# Speed of work (issue 12, tui-work): routing pickers, counts, patient context.
_NB.update(
    {
        "forward.kind.direct": "Personlig innboks",
        "forward.suggested": "Forslag",
        "route.filter": "Skriv for å finne innboks eller person – Enter velger",
        "route.note": "Internt notat, valgfritt – vises ikke for pasienten. Enter sender til valgt mottaker.",
        "route.choose_hint": "Enter velger mottakeren som er merket. Enter en gang til sender.",
        "route.enter_again": "– trykk Enter igjen for å sende",
        "deadline.left": "Svarfrist {when} ({age} igjen)",
        "deadline.overdue": "Svarfrist {when} – overskredet med {age}",
        "deadline.closed": "Svarfrist {when}",
        "proxy.title": "Fullmakt",
        "proxy.level.standard": "Standard",
        "proxy.level.read": "Lesetilgang",
        "proxy.level.messages": "Bare kommunisere",
        "proxy.level.full": "Full tilgang",
        "proxy.until": "til {date}",
        "relation.FTH": "far",
        "relation.MTH": "mor",
        "relation.DAU": "datter",
        "relation.SON": "sønn",
        "relation.SPS": "ektefelle",
        "relation.GUARD": "verge",
        "relation.CHILD": "barn",
        "relation.PRN": "forelder",
        "break_glass.banner": "NØDTILGANG aktiv til {until} – bruken logges og kontrolleres",
        "log.title": "Innsynslogg",
        "log.col.when": "Tid",
        "log.col.who": "Ansatt",
        "log.col.patient": "Pasient",
        "log.col.what": "Hva",
        "log.col.basis": "Grunnlag",
        "log.denied": "AVVIST",
        "log.btg_mark": "NØD",
        "log.btg_entry": "NØDTILGANG – begrunnelsen under skal kontrolleres",
        "log.by_patient": "Pasient",
        "log.by_staff": "Ansatt",
        "log.everyone": "alle oppslag",
        "log.only_btg": "bare nødtilgang",
        "log.empty": "Ingen oppslag i loggen med dette utvalget.",
        "log.staff_filter": "Skriv for å finne den ansatte – Enter velger",
        "log.patient_prompt": "Pasientens ID (for eksempel pat-000123) – Enter søker, tomt for alle",
        "log.key.patient": "Pasient",
        "log.key.staff": "Ansatt",
        "log.key.btg": "Nødtilgang",
        "log.key.all": "Alle",
        "log.position_more": "{index} av {loaded}+",
        "action.filters": "Filtre",
        "filter.title": "Filtre og sortering – Enter velger",
        "filter.type.all": "alle typer",
        "filter.owner.all": "alle",
        "slot.free_times": "Ledige timer i tjenestens kalender – Enter velger, Enter igjen sender",
        "slot.typed": "Eller skriv et tidspunkt: dd.mm.åååå tt:mm – Enter velger",
        "slot.hint": "Velg en ledig time eller skriv et tidspunkt.",
        "slot.none": "Ingen ledige timer de neste to ukene – skriv et tidspunkt.",
        "slot.chosen": "Valgt",
        "slot.enter_again": "Trykk Enter igjen (eller F5) for å sende. Pasienten får beskjed.",
        "slot.choose_first": "Velg en time først.",
        "slot.outside_window": "utenfor tidsrommet pasienten ønsket",
        "slot.against.day": "pasienten har sagt at denne dagen ikke passer",
        "slot.against.after": "pasienten har bedt om en senere tid på dagen",
        "slot.against.before": "pasienten har bedt om en tidligere tid på dagen",
        "weekday.0": "man",
        "weekday.1": "tir",
        "weekday.2": "ons",
        "weekday.3": "tor",
        "weekday.4": "fre",
        "weekday.5": "lør",
        "weekday.6": "søn",
        "appt.cancel.title": "Bekreft avbestilling",
        "appt.cancel.explain": "Pasienten vil avbestille timen {when}. Enter avbestiller timen og gir pasienten beskjed; Esc avbryter.",
        "done.confirm_cancellation": "Timen er avbestilt. Pasienten får beskjed.",
        "bstatus.cancelled": "avbestilt",
        "action.send_done_next": "Send, fullfør, neste",
        "reply.sent_done": "Svaret er sendt og oppgaven fullført. Her er neste.",
        "reply.queued_not_done": "Svaret sendes når forbindelsen er tilbake. Oppgaven er ikke fullført ennå.",
        "inbox.no_next": "Ingen flere åpne oppgaver i listen.",
        "inbox.nothing_waiting": "Ingen oppgaver venter i denne innboksen.",
        "inbox.claim_next_pool": "Velg en felles innboks først.",
        "action.help_more": "Mer (Hjelp)",
        "search.everywhere": "Søk i alle dine innbokser",
        "search.placeholder": "Søk i alle innboksene: emne, pasientens navn, fødselsnummer eller fødselsdato – Enter søker, Esc avbryter",
    }
)
_EN.update(
    {
        "forward.kind.direct": "Personal inbox",
        "forward.suggested": "Suggested",
        "route.filter": "Type to find an inbox or a person – Enter chooses",
        "route.note": "Internal note, optional – not shown to the patient. Enter sends to the chosen one.",
        "route.choose_hint": "Enter chooses the highlighted recipient. Enter again sends.",
        "route.enter_again": "– press Enter again to send",
        "deadline.left": "Respond by {when} ({age} left)",
        "deadline.overdue": "Respond by {when} – overdue by {age}",
        "deadline.closed": "Respond by {when}",
        "proxy.title": "Proxy",
        "proxy.level.standard": "Standard",
        "proxy.level.read": "Read only",
        "proxy.level.messages": "Messages only",
        "proxy.level.full": "Full access",
        "proxy.until": "until {date}",
        "relation.FTH": "father",
        "relation.MTH": "mother",
        "relation.DAU": "daughter",
        "relation.SON": "son",
        "relation.SPS": "spouse",
        "relation.GUARD": "guardian",
        "relation.CHILD": "child",
        "relation.PRN": "parent",
        "break_glass.banner": "EMERGENCY ACCESS active until {until} – its use is logged and reviewed",
        "log.title": "Access log",
        "log.col.when": "Time",
        "log.col.who": "Staff",
        "log.col.patient": "Patient",
        "log.col.what": "What",
        "log.col.basis": "Basis",
        "log.denied": "DENIED",
        "log.btg_mark": "BTG",
        "log.btg_entry": "EMERGENCY ACCESS – the reason below is to be reviewed",
        "log.by_patient": "Patient",
        "log.by_staff": "Staff member",
        "log.everyone": "every access",
        "log.only_btg": "emergency access only",
        "log.empty": "No entries in the log for this selection.",
        "log.staff_filter": "Type to find the staff member – Enter chooses",
        "log.patient_prompt": "The patient's id (for example pat-000123) – Enter searches, empty for all",
        "log.key.patient": "Patient",
        "log.key.staff": "Staff",
        "log.key.btg": "Emergency access",
        "log.key.all": "All",
        "log.position_more": "{index} of {loaded}+",
        "action.filters": "Filters",
        "filter.title": "Filters and sort order – Enter chooses",
        "filter.type.all": "all types",
        "filter.owner.all": "all",
        "slot.free_times": "Free times in the service's calendar – Enter chooses, Enter again sends",
        "slot.typed": "Or type a time: dd/mm/yyyy hh:mm – Enter chooses",
        "slot.hint": "Choose a free time or type one.",
        "slot.none": "No free times in the next two weeks – type a time.",
        "slot.chosen": "Chosen",
        "slot.enter_again": "Press Enter again (or F5) to send. The patient is told.",
        "slot.choose_first": "Choose a time first.",
        "slot.outside_window": "outside the time the patient asked for",
        "slot.against.day": "the patient said this day does not suit them",
        "slot.against.after": "the patient asked for a later time of day",
        "slot.against.before": "the patient asked for an earlier time of day",
        "weekday.0": "Mon",
        "weekday.1": "Tue",
        "weekday.2": "Wed",
        "weekday.3": "Thu",
        "weekday.4": "Fri",
        "weekday.5": "Sat",
        "weekday.6": "Sun",
        "appt.cancel.title": "Confirm the cancellation",
        "appt.cancel.explain": "The patient wants to cancel the appointment {when}. Enter cancels it and tells the patient; Esc goes back.",
        "done.confirm_cancellation": "The appointment is cancelled. The patient is told.",
        "bstatus.cancelled": "cancelled",
        "action.send_done_next": "Send, complete, next",
        "reply.sent_done": "The reply is sent and the item completed. Here is the next one.",
        "reply.queued_not_done": "The reply goes out when the connection is back. The item is not completed yet.",
        "inbox.no_next": "No more open items in the list.",
        "inbox.nothing_waiting": "Nothing is waiting in this inbox.",
        "inbox.claim_next_pool": "Choose a shared inbox first.",
        "action.help_more": "More (Help)",
        "search.everywhere": "Search in all your inboxes",
        "search.placeholder": "Search all your inboxes: subject, patient's name, national id or birth date – Enter searches, Esc cancels",
    }
)

# -- the patient notification outbox on the support screen (issue 17) ----------------------------
_NB.update(
    {
        "support.notify.title": "Varsler til pasienter (e-post og SMS)",
        "support.notify.channels": "Kanaler: {channels}",
        "support.notify.channel.email": "e-post",
        "support.notify.channel.sms": "SMS",
        "support.notify.none_set_up": "ingen satt opp",
        "support.notify.counts": "Sendt: {sent} · Venter: {pending} · Prøves igjen: {retrying} · Feilet siste 24 t: {failed}",
        "support.notify.oldest": "Eldste som venter: {age}",
        "support.notify.no_failures": "Ingen varsler har feilet.",
        "support.notify.latest": "Siste som feilet:",
        "support.notify.attempts.one": "{n} forsøk",
        "support.notify.attempts.other": "{n} forsøk",
        "support.notify.expired": "for gammelt, ikke sendt",
        "support.notify.gave_up": "ga opp etter siste forsøk",
        "support.notify.unsupported": "Denne portalen viser ikke varsler.",
    }
)
_EN.update(
    {
        "support.notify.title": "Notifications to patients (e-mail and SMS)",
        "support.notify.channels": "Channels: {channels}",
        "support.notify.channel.email": "e-mail",
        "support.notify.channel.sms": "SMS",
        "support.notify.none_set_up": "none set up",
        "support.notify.counts": "Sent: {sent} · Waiting: {pending} · Retrying: {retrying} · Failed in the last 24 h: {failed}",
        "support.notify.oldest": "Oldest waiting: {age}",
        "support.notify.no_failures": "No notification has failed.",
        "support.notify.latest": "Latest failures:",
        "support.notify.attempts.one": "{n} try",
        "support.notify.attempts.other": "{n} tries",
        "support.notify.expired": "too old, not sent",
        "support.notify.gave_up": "gave up after the last try",
        "support.notify.unsupported": "This portal does not show notifications.",
    }
)

# -- the reply beside the message, templates by number, signatures, progress marks (issue 12) -----
_NB.update(
    {
        "reply.answering": "Meldingen du svarer på",
        "reply.no_message": "Ingen melding fra pasienten i samtalen ennå.",
        "reply.templates_hint": "Velg mal med tallet (1–{n}) eller Enter; Esc lukker listen.",
        "reply.sending": "Sender …",
        "template.source.personal": "egen",
        "template.source.unit": "enhetens",
        "template.source.standard": "standard",
        "signature.role.physician": "Lege",
        "signature.role.nurse": "Sykepleier",
        "signature.role.switchboard": "Sentralbord",
        "item.working": "Venter på portalen …",
    }
)
_EN.update(
    {
        "reply.answering": "The message you are answering",
        "reply.no_message": "No message from the patient in the conversation yet.",
        "reply.templates_hint": "Choose a template by its number (1–{n}) or Enter; Esc closes the list.",
        "reply.sending": "Sending …",
        "template.source.personal": "personal",
        "template.source.unit": "unit",
        "template.source.standard": "standard",
        "signature.role.physician": "Physician",
        "signature.role.nurse": "Nurse",
        "signature.role.switchboard": "Switchboard",
        "item.working": "Waiting for the portal …",
    }
)
