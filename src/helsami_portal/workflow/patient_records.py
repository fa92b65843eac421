"""What patients (and proxies, within their level) read about themselves: released test results,
their access log (innsynslogg) in plain Norwegian, and the proxy grants given and received.

Levels (see docs/auth.md): the patient ("self"), `full` and `standard` see all of this; `read`
sees results and the access log but cannot send; `messages` sees neither results nor the access
log. Parents of a child of 12 to 15 act at the `messages` level; from 16 not at all.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c, timeutil
from ..fhir.access_codes import basis_of
from ..fhir.outcome import FhirError
from ..fhir.registry import first_code, human_name, ref_id, ref_of
from ..store.errors import InvalidQuery
from ..store.query import parse_query
from ..store.schema import resource
from ..store.store import Store, Tx, decode_cursor, encode_cursor
from . import access
from .proxies import LEVELS, PROXY_LEVEL, _acting_for, related_level, subjects

Resource = dict[str, Any]
AUTO_RELEASE_AFTER = dt.timedelta(days=14)
FINAL = frozenset({"final", "amended", "corrected", "appended"})
SEE_RESULTS = frozenset({"self", "full", "standard", "read"})
SEE_ACCESS_LOG = frozenset({"self", "full", "standard", "read"})
MAX_REPORTS = 2000

LEVEL_TEXT = {
    "self": "Deg selv",
    "full": "Full tilgang: kan se alt og handle på vegne av den andre",
    "standard": "Standard: kan se meldinger, prøvesvar og journal og sende meldinger",
    "read": "Lesetilgang: kan lese, men ikke sende meldinger eller be om noe",
    "messages": "Bare kommunisere: kan sende og lese meldinger, men ikke se prøvesvar, journal eller innsynslogg",
}
ROLE_TEXT = {
    "physician": "lege",
    "nurse": "sykepleier",
    "switchboard": "sentralbord",
    "it-support": "IT-støtte",
    "privacy-officer": "personvernrådgiver",
}
# Results, and the inbox items that carry them, are named only generically: the access log must
# show every read, but must give no hint of a result that has not been released to the patient.
WHAT_TEXT = {
    "Patient": "personopplysninger (navn, fødselsnummer, kontaktinformasjon)",
    "Task": "opplysninger om deg i en innboks",
    "Communication": "meldinger",
    "MedicationRequest": "legemidler",
    "AllergyIntolerance": "allergier",
    "Condition": "diagnoser",
    "Immunization": "vaksiner",
    "DiagnosticReport": "helseopplysninger i journalen din",
    "Observation": "helseopplysninger i journalen din",
    "QuestionnaireResponse": "skjema du har fylt ut",
    "Appointment": "timeavtaler",
    "RelatedPerson": "pårørende og fullmakter",
    "Consent": "samtykker, fullmakter og skjerming",
    "AuditEvent": "innsynsloggen",
    "DocumentReference": "dokumenter sendt til deg",
}
_TYPES = re.compile(r"\b(" + "|".join(WHAT_TEXT) + r")\b")


# -- results ----------------------------------------------------------------------------------


def _ext(r: Resource, url: str) -> dict[str, Any]:
    for e in r.get("extension") or []:
        if isinstance(e, dict) and e.get("url") == url:
            return e
    return {}


def released_at(report: Resource, now: dt.datetime) -> str | None:
    """When the report became visible to the patient, or None if it is not (yet) visible.

    auto: once final. clinician-or-14d: when a clinician released it, else 14 days after it was
    issued. clinician-only: only when a clinician released it. never-online: never. A report
    without a category is treated as clinician-only.
    """
    if report.get("status") not in FINAL:
        return None
    category = _ext(report, c.EXT_RELEASE_CATEGORY).get("valueCode") or "clinician-only"
    released = _ext(report, c.EXT_RELEASED_AT).get("valueDateTime")
    issued = report.get("issued") or report.get("effectiveDateTime")
    if category == "never-online":
        return None
    if category == "auto":
        return str(released or issued or "") or None
    if category == "clinician-or-14d":
        if released:
            return str(released)
        if isinstance(issued, str) and issued:
            try:
                due = timeutil.parse(issued) + AUTO_RELEASE_AFTER
            except ValueError:
                return None
            return timeutil.instant(due) if due <= now else None
        return None
    if category == "clinician-only":
        return str(released) if released else None
    return None


def _patient_report(r: Resource, when: str) -> Resource:
    keep = (
        "resourceType",
        "id",
        "status",
        "category",
        "code",
        "subject",
        "effectiveDateTime",
        "issued",
        "performer",
        "result",
        "conclusion",
        "conclusionCode",
        "presentedForm",
    )
    out = access.trimmed(r, keep)
    out["extension"] = [{"url": c.EXT_RELEASED_AT, "valueDateTime": when}]
    return out


def _patient_observation(o: Resource) -> Resource:
    keep = (
        "resourceType",
        "id",
        "status",
        "category",
        "code",
        "subject",
        "effectiveDateTime",
        "issued",
        "valueQuantity",
        "valueString",
        "valueCodeableConcept",
        "interpretation",
        "referenceRange",
        "note",
    )
    return access.trimmed(o, keep)


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        (n,) = decode_cursor(cursor, 1)
        return max(0, int(n))
    except (InvalidQuery, ValueError, TypeError):
        raise FhirError(
            400,
            "The _cursor is not valid; follow the next link as given.",
            expression="_cursor",
            reason="invalid-cursor",
        ) from None


def list_results(
    store: Store, p: Principal, patient_id: str | None, cursor: str | None, count: int
) -> tuple[list[Resource], list[Resource], str | None]:
    """Released reports of one patient, newest first, with their Observations."""
    with store.read() as tx:
        pid = _acting_for(tx, p, patient_id, write=False)
        level = subjects(tx, p).get(pid)
        if level not in SEE_RESULTS:
            access.log_denied(tx, p, pid, "patient API: results", f"proxy level {level} does not include results")
            raise access.forbidden(
                "Your access for this patient does not include test results.",
                reason="proxy-scope",
                args={"scope": "results"},
            )
        now = timeutil.utcnow()
        q = parse_query("DiagnosticReport", [("patient", f"Patient/{pid}"), ("_sort", "-date")])
        released: list[Resource] = []
        next_db: str | None = None
        while True:
            page = tx.search("DiagnosticReport", q.where, sort=q.sort, count=500, cursor=next_db)
            for r in page.rows:
                when = released_at(r, now)
                if when:
                    released.append(_patient_report(r, when))
            next_db = page.next_cursor
            if not next_db or len(released) >= MAX_REPORTS:
                break
        start = _offset(cursor)
        rows = released[start : start + count]
        nxt = encode_cursor([start + count]) if start + count < len(released) else None
        refs = [ref_of(x) for r in rows for x in r.get("result") or []]
        obs = [
            _patient_observation(o)
            for o in tx.get_many(dict.fromkeys(x for x in refs if x))
            if ref_id(o.get("subject"), "Patient") == pid
        ]
        return rows, obs, nxt


# -- the access log ---------------------------------------------------------------------------


# The basis codes of the access log (fhir.access_codes) in plain words for the patient.
WHY_TEXT = {
    "care.gp": "Vedkommende er fastlegen din.",
    "care.from-patient": "Du har sendt en henvendelse til en innboks der vedkommende jobber.",
    "care.from-colleague": "En kollega sendte en henvendelse om deg videre til vedkommende.",
    "care.from-portal": "Du har en henvendelse i en innboks der vedkommende jobber.",
    "care.appointment": "Du har en time hos vedkommende.",
    "care.open-item": "Du har en henvendelse i en innboks der vedkommende jobber.",
    "care.item-acted-on": "Du har en henvendelse i en innboks der vedkommende jobber.",
    "inbox.own-pool": "Du har en henvendelse i en innboks der vedkommende jobber.",
    "inbox.list": "Du har en henvendelse i en innboks der vedkommende jobber.",
    "own-item": "Registrerte en henvendelse fra deg, for eksempel en telefonsamtale.",
    "patient.document": "Et dokument som ble sendt til deg, ble lastet ned i HelsaMi.",
    "patient-lookup": "Søkte deg opp, for eksempel for å registrere en telefonhenvendelse fra deg.",
    "denied": "Tilgang ble nektet.",
}


def _why(reason: str) -> str:
    """The basis of a read (its code, fhir.access_codes) in plain words; results stay unnamed
    (see WHAT_TEXT)."""
    code, args = basis_of(reason)
    if code == "break-glass":
        return "Nødtilgang utenom vanlig behandlingsrelasjon. Begrunnelse: " + str(args.get("reason") or "")
    return WHY_TEXT.get(code, "Tjenstlig behov.")


def _what(description: str, interaction: str) -> str:
    if description.startswith("break the glass"):
        return "Åpnet nødtilgang til journalen din."
    names = list(dict.fromkeys(WHAT_TEXT[t] for t in _TYPES.findall(description)))
    if not names:
        return "Så på opplysninger om deg."
    verb = "Så gjennom" if interaction == "search-type" else "Åpnet"
    return f"{verb} {', '.join(names)}."


def _entry(tx: Tx, ev: Resource, orgs: dict[str, str]) -> dict[str, Any]:
    agent = (ev.get("agent") or [{}])[0]
    who = agent.get("who") or {}
    staff = ref_of(who).startswith("Practitioner/")
    role = (agent.get("role") or [{}])[0]
    purpose = (agent.get("purposeOfUse") or [{}])[0]
    reason = str(purpose.get("text") or "")
    units = []
    if staff:
        for oid in str(role.get("text") or "").split(", "):
            if oid and oid not in orgs:
                org = tx.get("Organization", oid)
                orgs[oid] = str(org.get("name")) if org else ""
            if orgs.get(oid):
                units.append(orgs[oid])
    entity = (ev.get("entity") or [{}])[0]
    interaction = str(((ev.get("subtype") or [{}])[0] or {}).get("code") or "")
    granted = ev.get("outcome", "0") == "0"
    return {
        "when": ev.get("recorded"),
        "who": str(who.get("display") or "")
        if staff
        else ("Deg selv" if ref_of(who) == ref_of(entity.get("what")) else "En annen HelsaMi-bruker"),
        "role": ROLE_TEXT.get(first_code(role, c.STAFF_ROLE), "ansatt") if staff else "innbygger",
        "unit": ", ".join(units),
        "what": _what(str(entity.get("description") or ""), interaction),
        "why": _why(reason),
        "granted": granted,
        "breakGlass": first_code(purpose) == "BTG",
    }


def access_log(
    store: Store, p: Principal, patient_id: str | None, cursor: str | None, count: int
) -> tuple[list[dict[str, Any]], str | None]:
    """The patient's access log, newest first, in plain Norwegian (keyset paged)."""
    with store.read() as tx:
        pid = _acting_for(tx, p, patient_id, write=False)
        level = subjects(tx, p).get(pid)
        if level not in SEE_ACCESS_LOG:
            access.log_denied(tx, p, pid, "patient API: access log", f"proxy level {level} does not include it")
            raise access.forbidden(
                "Your access for this patient does not include the access log.",
                reason="proxy-scope",
                args={"scope": "access-log"},
            )
        q = parse_query("AuditEvent", [("patient", f"Patient/{pid}"), ("_sort", "-date")])
        page = tx.search("AuditEvent", q.where, sort=q.sort, count=count, cursor=cursor)
        orgs: dict[str, str] = {}
        return [_entry(tx, ev, orgs) for ev in page.rows], page.next_cursor


# -- grants (fullmakter) ----------------------------------------------------------------------


def _level_of(consent: Resource) -> str:
    for concept in list((consent.get("provision") or {}).get("code") or []) + list(consent.get("category") or []):
        code = first_code(concept, PROXY_LEVEL)
        if code in LEVELS:
            return code
    return ""


def _grant(tx: Tx, consent: Resource, *, person: Resource | None, effective: str | None) -> dict[str, Any]:
    period = (consent.get("provision") or {}).get("period") or {}
    level = _level_of(consent)
    end = period.get("end")
    active = consent.get("status") == "active" and not (end and timeutil.norm(end) < tx.now)
    out: dict[str, Any] = {
        "id": consent.get("id"),
        "level": level,
        "levelText": LEVEL_TEXT.get(level, level),
        "start": period.get("start"),
        "end": end,
        "active": bool(active),
        "basis": str((consent.get("policyRule") or {}).get("text") or ""),
    }
    if person is not None:
        rels = person.get("relationship") or []
        out["relationship"] = str((rels[0] or {}).get("text") or "") if rels else ""
    if effective is not None:
        out["effectiveLevel"] = effective
        out["effectiveLevelText"] = LEVEL_TEXT.get(effective, "Ingen tilgang nå") if effective else "Ingen tilgang nå"
    return out


def grants(store: Store, p: Principal) -> dict[str, Any]:
    """Proxy grants the caller has given (as a patient) and received (as a proxy), in plain words."""
    with store.read() as tx:
        subjects(tx, p)  # patient-side tokens only
        typ, rid = p.ref.split("/", 1)
        given: list[dict[str, Any]] = []
        fnr = ""
        if typ == "Patient":
            me = tx.get("Patient", rid) or {}
            fnr = next((i.get("value", "") for i in me.get("identifier") or [] if i.get("system") == c.FNR_SYSTEM), "")
            q = parse_query("Consent", [("patient", f"Patient/{rid}"), ("_count", "200")])
            for consent in tx.search("Consent", q.where, count=200).rows:
                if not _level_of(consent):
                    continue
                actors = (consent.get("provision") or {}).get("actor") or []
                proxy = tx.get_ref(ref_of((actors[0] or {}).get("reference"))) if actors else None
                g = _grant(tx, consent, person=proxy, effective=None)
                g["to"] = human_name(proxy) if proxy else ""
                given.append(g)
        else:
            rp = tx.get("RelatedPerson", rid) or {}
            fnr = next((i.get("value", "") for i in rp.get("identifier") or [] if i.get("system") == c.FNR_SYSTEM), "")
        # Received: every RelatedPerson registered with the caller's national id (or the caller itself).
        related: list[Resource] = []
        if fnr:
            rows = tx.search("RelatedPerson", [resource.c.code == fnr], count=200).rows
            related.extend(rows)
        if typ == "RelatedPerson" and not any(r.get("id") == rid for r in related):
            own = tx.get("RelatedPerson", rid)
            if own:
                related.append(own)
        received: list[dict[str, Any]] = []
        for rp in related:
            patient_id, effective = related_level(tx, rp)
            patient = tx.get("Patient", patient_id) or {}
            q = parse_query("Consent", [("patient", f"Patient/{patient_id}"), ("actor", f"RelatedPerson/{rp['id']}")])
            for consent in tx.search("Consent", q.where, count=50).rows:
                if not _level_of(consent):
                    continue
                g = _grant(tx, consent, person=rp, effective=effective)
                g["from"] = human_name(patient)
                g["patient"] = f"Patient/{patient_id}"
                received.append(g)
        return {"given": given, "received": received}
