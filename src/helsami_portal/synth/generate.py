"""Synthetic FHIR R4 data for HelsaMi Innboks.

`generate(...)` yields plain FHIR JSON dicts, every referenced resource before what refers to it:

  Organization, HealthcareService (back-ups first), Practitioner, PractitionerRole, Questionnaire,
  Patient (all), RelatedPerson + Consent (proxies), clinical history of the first patients
  (Condition, MedicationRequest, AllergyIntolerance, Immunization, Observation, DiagnosticReport),
  then per inbox item its focus (thread header + messages, renewal request, report, questionnaire
  response or appointment) followed by its Task.

The first few hundred patients and items are rich; the rest are lean (a Task, its thread header
and one message drawn from precomputed text pools), so that a million items take seconds.
Deterministic for a given seed and `now`. Instants are fixed-width UTC strings (as the store's
`timeutil.instant` writes them), so text order is time order.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from ..fhir.conventions import (
    BASE,
    COMM_CATEGORY,
    EXT_ESCALATED,
    EXT_RELEASE_CATEGORY,
    EXT_TASK_POOL,
    FNR_SYSTEM,
    MEDIUM_PHONE,
    MEDIUM_PORTAL,
    MEDIUM_SYSTEM,
    TASK_BUSINESS_STATUS,
    TASK_TYPE,
)
from . import texts
from .fnr import fnr_is_valid, make_fnr
from .model import (
    ALLERGIES,
    ATC,
    CONDITIONS,
    CONDITIONS_ADULT,
    CONDITIONS_CHILD,
    CONDITIONS_OLD,
    DEMO_PATIENTS,
    DEMO_PROXIES,
    GPS,
    ICPC2,
    INBOX,
    INBOXES,
    LOINC,
    ORG_NAME,
    MEDICINES,
    PANELS,
    PROXY_LEVEL_DISPLAY,
    RELATIONS,
    STAFF,
    STAFF_BY_ID,
    TESTS,
    TEXT_REPORTS,
    UCUM,
    VACCINES,
    DemoUser,
    demo_users,
    inbox_resources,
    organization_resources,
    staff_resources,
)

__all__ = ["generate", "DemoUser", "demo_users", "fnr_is_valid", "make_fnr", "PROXY_LEVEL",
           "QUESTIONNAIRE_URL", "RICH_PATIENTS", "RICH_TASKS"]

PROXY_LEVEL = f"{BASE}/CodeSystem/proxy-level"
QUESTIONNAIRE_URL = f"{BASE}/Questionnaire/forhandsskjema"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"

RICH_PATIENTS = 300
RICH_TASKS = 600
PAST_DAYS = 43  # items arrive over the past six weeks
FUTURE_DAYS = 30
FMT = "%Y-%m-%dT%H:%M:%S.%fZ"  # = helsami_portal.fhir.timeutil.FMT
UTC = dt.timezone.utc

INTERP_DISPLAY = {"N": "Normal", "H": "High", "L": "Low", "HH": "Critical high", "LL": "Critical low"}


def _ref(r: str) -> dict:
    return {"reference": r}


def _cc(system: str, code: str, display: str | None = None, text: str | None = None) -> dict:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    out: dict = {"coding": [coding]}
    if text:
        out["text"] = text
    return out


_ASCII = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "á": "a", "Æ": "Ae", "Ø": "O", "Å": "A",
                        "Á": "A", " ": ".", "ś": "s", "ł": "l", "č": "c", "đ": "d", "ŋ": "n",
                        "š": "s", "ŧ": "t", "ž": "z"})


def _ascii(s: str) -> str:
    return s.translate(_ASCII).lower()


class _Clock:
    """Instants at minute resolution around `now`: at(k) is k minutes before now (k < 0: after)."""

    def __init__(self, now: dt.datetime):
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        self.now = now.astimezone(UTC)
        self.base = self.now.replace(second=0, microsecond=0)
        try:
            from zoneinfo import ZoneInfo
            local = self.base.astimezone(ZoneInfo("Europe/Oslo"))
        except Exception:  # no tz database: Norwegian standard time
            local = self.base.astimezone(dt.timezone(dt.timedelta(hours=1)))
        self.local_offset = local.utcoffset() or dt.timedelta(0)
        self.today = local.date()
        self.m0 = local.hour * 60 + local.minute  # local minute of day of `base`
        self.fut = FUTURE_DAYS * 1440
        self.past = PAST_DAYS * 1440
        start = self.base + dt.timedelta(minutes=self.fut)
        one = dt.timedelta(minutes=1)
        table = []
        t = start
        for _ in range(self.fut + self.past + 1):
            table.append(t.strftime(FMT))
            t -= one
        self.table = table  # table[k + fut] = instant k minutes before base

    def at(self, k: int) -> str:
        return self.table[k + self.fut]

    def dayback(self, k: int) -> int:
        """Local calendar days between the instant k minutes ago and today."""
        return (k - self.m0 + 1439) // 1440

    def instant(self, d: dt.datetime) -> str:
        return d.astimezone(UTC).strftime(FMT)

    def days_ago(self, days: float) -> str:
        return self.instant(self.base - dt.timedelta(days=days))

    def date_ago(self, days: int) -> str:
        return (self.today - dt.timedelta(days=days)).isoformat()

    def working_hours(self, k: int, after: int, before: int, jitter: float) -> int:
        """Move the instant k minutes ago into 08:00–15:30 local time on the same day, if that
        keeps it between `before` and `after` (minutes ago, exclusive); else leave it."""
        mod = (self.m0 - k) % 1440
        if 480 <= mod <= 930:
            return k
        if mod > 930:
            cand = k + (mod - 930) + int(jitter * 90)
        else:
            cand = k - (480 - mod) - int(jitter * 90)
        return cand if before < cand < after else k

    def future_slot(self, day: int, minute_of_day: int) -> int:
        """k for a local time `minute_of_day` on the day `day` days from today."""
        return self.m0 - minute_of_day - day * 1440

    def deadline_deltas(self, days: int, working: bool) -> list[int]:
        """Per local day (index dayback + FUTURE_DAYS): calendar days to the deadline."""
        import holidays as _holidays

        years = range(self.today.year - 1, self.today.year + 2)
        try:
            hol = _holidays.country_holidays("NO", years=years)
        except Exception:
            hol = {}
        out = []
        for back in range(-FUTURE_DAYS, PAST_DAYS + 2):
            day = self.today - dt.timedelta(days=back)
            if not working:
                out.append(days)
                continue
            d, left = day, days
            while left:
                d += dt.timedelta(days=1)
                if d.weekday() < 5 and d not in hol:
                    left -= 1
            out.append((d - day).days)
        return out


class _Pool:
    __slots__ = ("ib", "ref", "members", "member_staff", "chain", "deltas", "resp_k", "patients",
                 "lean_texts", "phone_texts", "families")


def _lean_texts(families: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for topic in texts.TOPICS:
        if topic["family"] not in families:
            continue
        for body in topic["patient"]:
            for g in texts.GREETINGS:
                for c in texts.CLOSINGS:
                    out.append((topic["subject"], f"{g}\n\n{body}\n\n{c} "))
            out.append((topic["subject"], body + "\n\nHilsen "))
    return out


def _phone_texts() -> list[tuple[str, str]]:
    out = []
    for topic in texts.PHONE_TOPICS:
        for t in topic["text"]:
            out.append((topic["subject"], t))
    return out


def generate(*, patients: int = 200, tasks: int = 600, seed: int = 1,
             now: dt.datetime) -> Iterator[dict]:
    """Yield a synthetic dataset as FHIR R4 JSON dicts (see the module docstring)."""
    return _Generator(patients, tasks, seed, now).run()


class _Generator:
    def __init__(self, patients: int, tasks: int, seed: int, now: dt.datetime):
        self.n_patients = max(int(patients), len(DEMO_PATIENTS) + 2)
        self.n_tasks = max(int(tasks), 0)
        self.rng = random.Random(seed)
        self.clock = _Clock(now)
        self.seq: dict[str, int] = {}

    def next_id(self, prefix: str, width: int) -> str:
        n = self.seq.get(prefix, 0) + 1
        self.seq[prefix] = n
        return f"{prefix}-{n:0{width}d}"

    # ------------------------------------------------------------------------------------------
    def run(self) -> Iterator[dict]:
        yield from organization_resources()
        yield from inbox_resources()
        practitioners, roles = staff_resources()
        yield from practitioners
        yield from roles
        yield self.questionnaire()
        self.setup_pools()
        yield from self.patients()
        yield from self.proxies()
        records: dict[str, list[str]] = {}
        for r in self.clinical():
            subject = (r.get("subject") or r.get("patient") or {}).get("reference", "")
            if r["resourceType"] in ("Condition", "DiagnosticReport"):
                records.setdefault(subject, []).append(f"{r['resourceType']}/{r['id']}")
                if r["resourceType"] == "DiagnosticReport":
                    records[subject] += [x["reference"] for x in r.get("result") or []]
            yield r
        yield from self.restriction(records)
        yield from self.tasks()

    # --- restriction (skjerming) -------------------------------------------------------------
    def restriction(self, records: dict[str, list[str]]) -> Iterator[dict]:
        """One patient has asked for skjerming: their diagnoses and latest lab report are hidden from
        everyone but a named care team (prac-0002 "sykepleier" and prac-0008), even from their own GP,
        demo user "lege" (prac-0001). Uses no random numbers, so the rest of the data is unchanged."""
        first = len(DEMO_PATIENTS)
        picks = [i for i in range(first, min(self.rich_patients, 200)) if self.pat_age[i] >= 18
                 and any(x.startswith("Condition/") for x in records.get(self.pat_ref[i], []))
                 and any(x.startswith("DiagnosticReport/") for x in records.get(self.pat_ref[i], []))]
        preferred = [i for i in picks if self.pat_gp[i] == "prac-0001"]
        if not (preferred or picks):
            return
        i = (preferred or picks)[0]
        mine = records[self.pat_ref[i]]
        reports = [n for n, x in enumerate(mine) if x.startswith("DiagnosticReport/")]
        last = reports[-1]  # the latest lab report, followed by its result Observations
        report_refs = [mine[last]] + [x for x in mine[last + 1:] if x.startswith("Observation/")]
        yield {
            "resourceType": "Consent", "id": "con-skjerming-000001", "status": "active",
            "scope": _cc("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy", "Privacy Consent"),
            "category": [_cc(f"{BASE}/CodeSystem/consent-kind", "skjerming", "Skjerming", "Skjerming av journal")],
            "patient": _ref(self.pat_ref[i]),
            "dateTime": self.clock.days_ago(30),
            "performer": [_ref(self.pat_ref[i])],
            "policyRule": {"text": "Pasienten har bedt om skjerming av diagnoser og siste prøvesvar"},
            "provision": {
                "type": "deny",
                "period": {"start": self.clock.date_ago(30)},
                "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "Condition"}],
                "data": [{"meaning": "instance", "reference": _ref(ref)} for ref in report_refs],
                "provision": [{
                    "type": "permit",
                    "actor": [{"role": _cc("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "PRF",
                                           "performer"), "reference": _ref(f"Practitioner/{prac}")}
                              for prac in ("prac-0002", "prac-0008")],
                }],
            },
        }

    # --- inboxes -----------------------------------------------------------------------------
    def setup_pools(self) -> None:
        clock = self.clock
        delta_cache: dict[tuple[int, bool], list[int]] = {}
        self.pools: dict[str, _Pool] = {}
        phone = _phone_texts()
        for ib in INBOXES:
            p = _Pool()
            p.ib = ib
            p.ref = f"HealthcareService/{ib.id}"
            p.member_staff = [s for s in STAFF if ib.id in s.pools]
            p.members = [f"Practitioner/{s.id}" for s in p.member_staff]
            chain, cum, cur = [], 0, ib
            while cur.backup:
                cum += cur.delay_min
                chain.append((cum, f"HealthcareService/{cur.backup}"))
                cur = INBOX[cur.backup]
            p.chain = chain
            key = (ib.response_days, ib.working_time)
            if key not in delta_cache:
                delta_cache[key] = clock.deadline_deltas(*key)
            p.deltas = delta_cache[key]
            p.resp_k = ib.response_days * 1440 * (7 if ib.working_time else 5) // 5
            p.families = ib.families
            p.lean_texts = _lean_texts(ib.families)
            p.phone_texts = phone
            self.pools[ib.id] = p
        table = []
        for ib in INBOXES:
            table += [self.pools[ib.id]] * ib.weight
        self.pool_table = table

    def deadline(self, pool: _Pool, k: int) -> str:
        clock = self.clock
        return clock.at(k - pool.deltas[clock.dayback(k) + FUTURE_DAYS] * 1440)

    def questionnaire(self) -> dict:
        return {
            "resourceType": "Questionnaire", "id": "questionnaire-forhandsskjema", "url": QUESTIONNAIRE_URL,
            "status": "active", "title": "Før timen: spørsmål om infeksjon", "subjectType": ["Patient"],
            "item": [
                {"linkId": "feber", "text": "Har du feber (over 38 °C)?", "type": "boolean"},
                {"linkId": "temperatur", "text": "Høyeste målte temperatur (°C)", "type": "decimal"},
                {"linkId": "hoste", "text": "Har du hoste?", "type": "boolean"},
                {"linkId": "hoste-uker", "text": "Hvor mange uker har du hostet?", "type": "integer",
                 "enableWhen": [{"question": "hoste", "operator": "=", "answerBoolean": True}]},
                {"linkId": "reise", "text": "Har du vært på reise utenfor Norden de siste 14 dagene?",
                 "type": "boolean"},
                {"linkId": "blodfortynnende", "text": "Bruker du blodfortynnende medisiner?", "type": "boolean"},
                {"linkId": "annet", "text": "Er det noe annet du vil at vi skal vite før timen?", "type": "string"},
            ],
        }

    # --- patients ----------------------------------------------------------------------------
    def patients(self) -> Iterator[dict]:
        rng = self.rng
        rand = rng.random
        today = self.clock.today
        n = self.n_patients
        self.pat_ref: list[str] = [""] * n
        self.pat_given: list[str] = [""] * n
        self.pat_male = bytearray(n)
        self.pat_age: list[int] = [0] * n
        self.pat_office = bytearray(n)
        self.pat_gp: list[str] = [""] * n
        self.pat_fnr: dict[int, str] = {}
        self.pat_name: dict[int, str] = {}
        self.pat_birth: dict[int, dt.date] = {}
        used: set[str] = set()
        self.used_fnr = used
        groups = (texts.NORWEGIAN, texts.SAMI, texts.IMMIGRANT)
        streets, towns = texts.STREETS, texts.TOWNS
        office_pats: tuple[list[int], list[int]] = ([], [])
        children: list[int] = []
        rich = min(n, RICH_PATIENTS)
        for i in range(n):
            pid = f"pat-{i + 1:06d}"
            if i < len(DEMO_PATIENTS):
                given, family, male, age_days, gp = DEMO_PATIENTS[i]
                middle = None
                office = 0 if gp in GPS[0] else 1
                birth = today - dt.timedelta(days=age_days)
            else:
                r = rand()
                grp = groups[0] if r < 0.80 else groups[1] if r < 0.86 else groups[2]
                male = rand() < 0.49
                names = grp[0] if male else grp[1]
                given = names[int(rand() * len(names))]
                middle = names[int(rand() * len(names))] if rand() < 0.12 else None
                if middle == given:
                    middle = None
                family = grp[2][int(rand() * len(grp[2]))]
                r = rand()
                age = (int(r / 0.08 * 6) if r < 0.08 else 6 + int((r - 0.08) / 0.10 * 12) if r < 0.18
                       else 18 + int((r - 0.18) / 0.55 * 49) if r < 0.73 else 67 + int((r - 0.73) / 0.27 * 32))
                birth = today - dt.timedelta(days=age * 365 + int(age / 4) + int(rand() * 365))
                office = 0 if rand() < 0.6 else 1
                gp = GPS[office][int(rand() * len(GPS[office]))]
            age = (today - birth).days * 100 // 36525
            fnr = make_fnr(birth, male, rng)
            while fnr in used:
                fnr = make_fnr(birth, male, rng)
            used.add(fnr)
            full_given = f"{given} {middle}" if middle else given
            text = f"{full_given} {family}"
            res: dict = {
                "resourceType": "Patient", "id": pid,
                "identifier": [{"system": FNR_SYSTEM, "value": fnr}],
                "active": True,
                "name": [{"use": "official", "family": family, "given": full_given.split(" "), "text": text}],
                "gender": "male" if male else "female",
                "birthDate": birth.isoformat(),
            }
            if age >= 13:
                tel = [{"system": "phone", "value": f"+47 {4 if rand() < 0.4 else 9}{int(rand() * 10_000_000):07d}",
                        "use": "mobile"}]
                if age >= 18 and rand() < 0.5:
                    tel.append({"system": "email", "value": f"{_ascii(given)}.{_ascii(family)}@example.no",
                                "use": "home"})
                res["telecom"] = tel
            if i >= len(DEMO_PATIENTS) and rand() < 0.01:
                # Confidential address (fortrolig adresse): no address is given out.
                res["meta"] = {"security": [{"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}]}
            else:
                pc, town = towns[int(rand() * len(towns))]
                res["address"] = [{"use": "home", "type": "physical",
                                   "line": [f"{streets[int(rand() * len(streets))]} {1 + int(rand() * 80)}"],
                                   "postalCode": pc, "city": town, "country": "NO"}]
            res["generalPractitioner"] = [{"reference": f"Practitioner/{gp}"}]
            ref = f"Patient/{pid}"
            self.pat_ref[i] = ref
            self.pat_given[i] = given
            self.pat_male[i] = male
            self.pat_age[i] = age
            self.pat_office[i] = office
            self.pat_gp[i] = gp
            if i < rich:
                self.pat_birth[i] = birth
                self.pat_fnr[i] = fnr
                self.pat_name[i] = text
            office_pats[office].append(i)
            if age < 18:
                children.append(i)
            yield res
        self.office_pats = office_pats
        self.children = children or [2]
        for p in self.pools.values():
            if p.ib.office is not None:
                p.patients = office_pats[p.ib.office] or list(range(n))
            elif p.ib.children:
                p.patients = self.children
            else:
                p.patients = None  # anyone
        self.rich_patients = rich

    # --- proxies (fullmakt) ------------------------------------------------------------------
    def proxies(self) -> Iterator[dict]:
        rng = self.rng
        self.proxies_of: dict[int, list[tuple[str, str, str, str]]] = {}  # i -> (ref, level, kind, given)
        grants = []
        for given, family, male, age_days, pi, rel, level, _user in DEMO_PROXIES:
            grants.append((given, family, male, self.clock.today - dt.timedelta(days=age_days), pi, rel, level))
        for i in range(len(DEMO_PATIENTS), self.rich_patients):
            age = self.pat_age[i]
            if age < 12 and rng.random() < 0.5:
                male = rng.random() < 0.5
                grants.append(self.random_person(male, 30 + age, self.name_family(i)) + (i, "FTH" if male else "MTH", "full"))
            elif 12 <= age < 16 and rng.random() < 0.3:
                male = rng.random() < 0.5
                grants.append(self.random_person(male, 32 + age, self.name_family(i)) + (i, "FTH" if male else "MTH", "standard"))
            elif age >= 80 and rng.random() < 0.35:
                male = rng.random() < 0.5
                grants.append(self.random_person(male, age - 28, self.name_family(i)) + (
                    i, "SON" if male else "DAU", rng.choice(("full", "standard", "read", "messages"))))
        fnrs = {}
        for n, (given, family, male, birth, pi, rel, level) in enumerate(grants, start=1):
            rid = f"rp-{n:06d}"
            key = (given, family, birth)
            if key not in fnrs:
                # Kari Nordmann is both a patient and her father's proxy: same number.
                same = [i for i in range(len(DEMO_PATIENTS)) if self.pat_name.get(i) == f"{given} {family}"]
                if same:
                    fnrs[key] = self.pat_fnr[same[0]]
                else:
                    fnr = make_fnr(birth, male, rng)
                    while fnr in self.used_fnr:
                        fnr = make_fnr(birth, male, rng)
                    self.used_fnr.add(fnr)
                    fnrs[key] = fnr
            rel_display, rel_text = RELATIONS[rel]
            ref = f"RelatedPerson/{rid}"
            yield {
                "resourceType": "RelatedPerson", "id": rid, "active": True,
                "patient": _ref(self.pat_ref[pi]),
                "identifier": [{"system": FNR_SYSTEM, "value": fnrs[key]}],
                "relationship": [_cc(ROLE_CODE, rel, rel_display, rel_text)],
                "name": [{"use": "official", "family": family, "given": given.split(" "),
                          "text": f"{given} {family}"}],
                "gender": "male" if male else "female",
                "birthDate": birth.isoformat(),
                "telecom": [{"system": "phone", "value": f"+47 9{int(rng.random() * 10_000_000):07d}",
                             "use": "mobile"}],
            }
            age = self.pat_age[pi]
            child = rel in ("FTH", "MTH")
            birth_p = self.pat_birth[pi]
            start_days = int(rng.random() * 700) + 10
            period = {"start": self.clock.date_ago(min(start_days, age * 365 if child and age else start_days))}
            if child:
                end_age = 12 if age < 12 else 16
                try:
                    period["end"] = birth_p.replace(year=birth_p.year + end_age).isoformat()
                except ValueError:  # born 29 February
                    period["end"] = dt.date(birth_p.year + end_age, 3, 1).isoformat()
            yield {
                "resourceType": "Consent", "id": f"con-{n:06d}", "status": "active",
                "scope": _cc("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy",
                             "Privacy Consent"),
                "category": [_cc(LOINC, "59284-0", "Consent Document", "Fullmakt i HelsaMi")],
                "patient": _ref(self.pat_ref[pi]),
                "dateTime": self.clock.days_ago(start_days),
                "performer": [_ref(ref if child else self.pat_ref[pi])],
                "policyRule": {"text": ("Foreldreansvar: innsyn for foreldre til barn under 12 år" if child and age < 12
                                        else "Foreldreansvar: begrenset innsyn for barn 12–16 år" if child
                                        else "Fullmakt gitt av innbygger i HelsaMi")},
                "provision": {
                    "type": "permit", "period": period,
                    "actor": [{"role": _cc(ROLE_CODE, "GUARD" if child else "POWATT",
                                           "guardian" if child else "power of attorney"),
                               "reference": _ref(ref)}],
                    "code": [_cc(PROXY_LEVEL, level, PROXY_LEVEL_DISPLAY[level])],
                },
            }
            kind = ("parent" if age < 12 else "teen-parent") if child else "child"
            self.proxies_of.setdefault(pi, []).append((ref, level, kind, given))

    def name_family(self, i: int) -> str:
        return self.pat_name[i].rsplit(" ", 1)[-1]

    def random_person(self, male: bool, age: int, family: str) -> tuple:
        rng = self.rng
        names = texts.NORWEGIAN[0] if male else texts.NORWEGIAN[1]
        given = names[int(rng.random() * len(names))]
        birth = self.clock.today - dt.timedelta(days=max(age, 18) * 365 + int(rng.random() * 300))
        return (given, family, male, birth)

    # --- clinical history of the rich patients ---------------------------------------------
    def clinical(self) -> Iterator[dict]:
        rng = self.rng
        clock = self.clock
        self.meds_of: dict[int, list[tuple[str, str]]] = {}  # i -> [(MedicationRequest ref, key)]
        self.panels_of: dict[int, list[str]] = {}
        self.baseline: dict[tuple[int, str], float] = {}
        self.allergies_of: dict[int, list[str]] = {}
        for i in range(self.rich_patients):
            pref = self.pat_ref[i]
            age = self.pat_age[i]
            gp = f"Practitioner/{self.pat_gp[i]}"
            if i == 0:
                conds = ["K86", "T93"]
            elif i == 1:
                conds = ["T90", "K78", "K86"]
            elif i == 2:
                conds = ["R96"]
            else:
                pool = CONDITIONS_CHILD if age < 18 else CONDITIONS_OLD if age >= 60 else CONDITIONS_ADULT
                k = int(rng.random() * (4 if age >= 60 else 3 if age >= 18 else 2))
                conds = []
                for _ in range(k):
                    c = pool[int(rng.random() * len(pool))]
                    if c not in conds:
                        conds.append(c)
            med_keys: list[tuple[str, str | None]] = []
            panels: list[str] = []
            for code in conds:
                display, meds, pans = CONDITIONS[code]
                onset = 30 + int(rng.random() * max(age * 330, 30))
                cid = self.next_id("cond", 6)
                yield {
                    "resourceType": "Condition", "id": cid,
                    "clinicalStatus": _cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
                    "verificationStatus": _cc("http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                              "confirmed"),
                    "category": [_cc("http://terminology.hl7.org/CodeSystem/condition-category",
                                     "problem-list-item", "Problem List Item")],
                    "code": _cc(ICPC2, code, display, display),
                    "subject": _ref(pref),
                    "onsetDateTime": clock.date_ago(onset),
                    "recordedDate": clock.date_ago(max(onset - 3, 1)),
                    "recorder": _ref(gp),
                }
                for m in meds:
                    if m not in [x for x, _ in med_keys]:
                        med_keys.append((m, cid))
                for pn in pans:
                    if pn not in panels:
                        panels.append(pn)
            if age >= 18 and rng.random() < 0.3:
                med_keys.append((("paracet", "omeprazol", "cetirizin")[int(rng.random() * 3)], None))
            if age >= 40 and "blod" not in panels and rng.random() < 0.5:
                panels.append("blod")
            if age >= 50 and rng.random() < 0.2:
                panels.append("lever")
            # Medicines (active prescriptions)
            mrs = []
            for m, cid in med_keys:
                atc, atc_disp, text, dosage = MEDICINES[m]
                authored = int(rng.random() * 330) + 20
                mid = self.next_id("mr", 6)
                res = {
                    "resourceType": "MedicationRequest", "id": mid, "status": "active", "intent": "order",
                    "medicationCodeableConcept": _cc(ATC, atc, atc_disp, text),
                    "subject": _ref(pref), "authoredOn": clock.days_ago(authored),
                    "requester": _ref(gp),
                    "dosageInstruction": [{"text": dosage}],
                    "dispenseRequest": {"validityPeriod": {"start": clock.date_ago(authored),
                                                           "end": clock.date_ago(authored - 365)}},
                }
                if cid:
                    res["reasonReference"] = [_ref(f"Condition/{cid}")]
                mrs.append((f"MedicationRequest/{mid}", m))
                yield res
            self.meds_of[i] = mrs
            # Allergies
            allergies = []
            if i == 0 or rng.random() < 0.22:
                picks = [ALLERGIES[0]] if i == 0 else [ALLERGIES[int(rng.random() * len(ALLERGIES))]]
                for text, system, code, disp, cat, crit, typ, reaction in picks:
                    code_cc = _cc(system, code, disp, text) if system else {"text": text}
                    allergies.append(text)
                    yield {
                        "resourceType": "AllergyIntolerance", "id": self.next_id("allergy", 6),
                        "clinicalStatus": _cc("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                                              "active"),
                        "verificationStatus": _cc(
                            "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed"),
                        "type": typ, "category": [cat], "criticality": crit, "code": code_cc,
                        "patient": _ref(pref), "recordedDate": clock.date_ago(int(rng.random() * 3000) + 30),
                        "reaction": [{"manifestation": [{"text": reaction}]}],
                    }
            self.allergies_of[i] = allergies
            yield from self.check_cases(i, pref, gp, [m for m, _ in med_keys], conds)
            # Immunizations
            group = "child" if age < 18 else "old" if age >= 65 else "adult"
            for atc, disp, text, for_ in VACCINES:
                if for_ == group or (group == "old" and for_ == "adult"):
                    if rng.random() < 0.6:
                        yield {
                            "resourceType": "Immunization", "id": self.next_id("imm", 6), "status": "completed",
                            "vaccineCode": _cc(ATC, atc, disp, text), "patient": _ref(pref),
                            "occurrenceDateTime": clock.days_ago(int(rng.random() * min(age * 365 + 60, 2000)) + 14),
                            "primarySource": True,
                            "lotNumber": f"{chr(65 + int(rng.random() * 26))}{int(rng.random() * 90000) + 10000}",
                        }
            # Lab history: a few reports per panel, months apart
            self.panels_of[i] = panels
            for pn in panels:
                n_points = 2 + int(rng.random() * 4)
                for j in range(n_points):
                    days = (n_points - j) * (60 + int(rng.random() * 60)) + int(rng.random() * 20)
                    cat = "auto" if rng.random() < 0.8 else "clinician-or-14d"
                    yield from self.report(i, pn, clock.base - dt.timedelta(days=days, minutes=int(rng.random() * 600)),
                                           cat, trend=(n_points - j) / n_points)
            # Text-only reports: pathology and genetics (never shared online)
            if i == 0 or (i >= len(DEMO_PATIENTS) and rng.random() < 0.05):
                yield from self.text_report(i, TEXT_REPORTS[0], 200)
            if i == 1 or (i >= len(DEMO_PATIENTS) and rng.random() < 0.04):
                yield from self.text_report(i, TEXT_REPORTS[1 + int(rng.random() * 2)], 400)
            if age >= 25 and not self.pat_male[i] and rng.random() < 0.1:
                yield from self.text_report(i, TEXT_REPORTS[3], 500)

    # Extra active orders and intolerances that make renewal checks show their warnings in the demo:
    # (condition or medicine key, which patients (i % n == r), ATC, ATC display, text, dosage).
    EXTRA_ORDERS = (
        ("eliquis", (2, 1), "M01AE01", "ibuprofen", "Ibux 400 mg tablett", "1 tablett inntil 3 ganger daglig ved behov"),
        ("sertralin", (3, 0), "M01AE02", "naproksen", "Naproxen 250 mg tablett", "1 tablett 2 ganger daglig ved behov"),
        ("K77", (2, 0), "C03DA01", "spironolakton", "Spirix 25 mg tablett", "1 tablett daglig"),
        ("zopiklon", (2, 0), "N02AX02", "tramadol", "Nobligan 50 mg kapsel", "1 kapsel inntil 3 ganger daglig ved behov"),
    )

    def check_cases(self, i: int, pref: str, gp: str, meds: list[str], conds: list[str]) -> Iterator[dict]:
        """Records that renewal checks warn about (interactions, an intolerance to a class). Uses no
        random numbers, so the rest of the data is unchanged; ids come from the usual counters."""
        for key, (n, r), atc, disp, text, dosage in self.EXTRA_ORDERS:
            if (key in meds or key in conds) and i % n == r:
                days = 30 + (i * 37) % 200
                yield {
                    "resourceType": "MedicationRequest", "id": self.next_id("mr", 6), "status": "active",
                    "intent": "order", "medicationCodeableConcept": _cc(ATC, atc, disp, text),
                    "subject": _ref(pref), "authoredOn": self.clock.days_ago(days), "requester": _ref(gp),
                    "dosageInstruction": [{"text": dosage}],
                    "dispenseRequest": {"validityPeriod": {"start": self.clock.date_ago(days),
                                                           "end": self.clock.date_ago(days - 365)}},
                }
        if "sertralin" in meds and i % 2 == 1:
            # Switched from citalopram because of side effects: an intolerance to the same class (SSRI).
            yield {
                "resourceType": "AllergyIntolerance", "id": self.next_id("allergy", 6),
                "clinicalStatus": _cc("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
                "verificationStatus": _cc("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                                          "confirmed"),
                "type": "intolerance", "category": ["medication"], "criticality": "low",
                "code": _cc(ATC, "N06AB04", "citalopram", "Citalopram"), "patient": _ref(pref),
                "recordedDate": self.clock.date_ago(400 + i % 300),
                "reaction": [{"manifestation": [{"text": "Kvalme og uro"}]}],
            }

    def text_report(self, i: int, spec: tuple, max_days: int) -> Iterator[dict]:
        name, conclusion, cat = spec
        days = int(self.rng.random() * max_days) + 20
        yield {
            "resourceType": "DiagnosticReport", "id": self.next_id("dr", 6),
            "extension": [{"url": EXT_RELEASE_CATEGORY, "valueCode": cat}],
            "status": "final",
            "category": [_cc("http://terminology.hl7.org/CodeSystem/v2-0074", "PAT" if "Histologi" in name or
                             "Cytologi" in name else "GE", None)],
            "code": {"text": name}, "subject": _ref(self.pat_ref[i]),
            "effectiveDateTime": self.clock.days_ago(days + 7), "issued": self.clock.days_ago(days),
            "performer": [_ref("Organization/org-midtby-sykehus")],
            "conclusion": conclusion,
        }

    def value(self, i: int, test: str, trend: float) -> float:
        """A plausible value of a test for a patient: a personal baseline plus noise."""
        rng = self.rng
        spec = TESTS[test]
        lo, hi = spec[6] if self.pat_male[i] else spec[5]
        key = (i, test)
        if key not in self.baseline:
            lo_ = lo if lo is not None else hi * 0.2
            mid = (lo_ + hi) / 2
            width = hi - lo_
            b = mid + (rng.random() - 0.5) * width * 0.8
            r = rng.random()
            if test == "hba1c" and "diabetes" in self.panels_of.get(i, ()):
                b = 50 + rng.random() * 20
            elif test == "tsh" and "stoffskifte" in self.panels_of.get(i, ()):
                b = 1.0 + rng.random() * 5
            elif r < 0.12:
                b = hi + width * (0.05 + rng.random() * 0.4)
            elif r < 0.2 and lo is not None:
                b = lo - width * (0.05 + rng.random() * 0.3)
            self.baseline[key] = b
        b = self.baseline[key]
        v = b * (1 + 0.08 * trend) * (1 + (rng.random() - 0.5) * 0.12)
        if test == "crp":
            v = 1 + rng.random() * 4 if rng.random() < 0.7 else 5 + rng.random() ** 2 * 120
        return max(v, 0.01)

    def observation(self, i: int, test: str, value: float, when: str) -> dict:
        loinc, loinc_disp, name, unit, ucum, rf, rm, dec, crit_lo, crit_hi = TESTS[test]
        lo, hi = rm if self.pat_male[i] else rf
        value = round(value, dec) if dec else int(round(value))
        if crit_hi is not None and value >= crit_hi:
            code = "HH"
        elif crit_lo is not None and value <= crit_lo:
            code = "LL"
        elif hi is not None and value > hi:
            code = "H"
        elif lo is not None and value < lo:
            code = "L"
        else:
            code = "N"
        rr: dict = {}
        if lo is not None:
            rr["low"] = {"value": lo, "unit": unit, "system": UCUM, "code": ucum}
        if hi is not None:
            rr["high"] = {"value": hi, "unit": unit, "system": UCUM, "code": ucum}
        return {
            "resourceType": "Observation", "id": self.next_id("obs", 7), "status": "final",
            "category": [_cc("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory",
                             "Laboratory")],
            "code": _cc(LOINC, loinc, loinc_disp, name),
            "subject": _ref(self.pat_ref[i]), "effectiveDateTime": when, "issued": when,
            "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": ucum},
            "referenceRange": [rr],
            "interpretation": [_cc(INTERPRETATION, code, INTERP_DISPLAY[code])],
        }

    def report(self, i: int, panel: str, when: dt.datetime, category: str, trend: float = 0.0,
               force: dict | None = None, issued: str | None = None) -> Iterator[dict]:
        name, tests = PANELS[panel]
        eff = self.clock.instant(when)
        issued = issued or self.clock.instant(when + dt.timedelta(hours=5))
        obs = []
        for test in tests:
            v = (force or {}).get(test)
            o = self.observation(i, test, v if v is not None else self.value(i, test, trend), eff)
            obs.append(o)
            yield o
        self.last_report_obs = obs
        yield {
            "resourceType": "DiagnosticReport", "id": self.next_id("dr", 6),
            "extension": [{"url": EXT_RELEASE_CATEGORY, "valueCode": category}],
            "status": "final",
            "category": [_cc("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB", "Laboratory")],
            "code": {"text": name}, "subject": _ref(self.pat_ref[i]),
            "effectiveDateTime": eff, "issued": issued,
            "performer": [_ref("Organization/org-midtby-sykehus")],
            "result": [_ref(f"Observation/{o['id']}") for o in obs],
        }

    # --- inbox items -------------------------------------------------------------------------
    def pick_status(self, pool: _Pool) -> str:
        r = self.rng.random()
        return "requested" if r < 0.62 or not pool.members else "in-progress" if r < 0.76 else "completed"

    def state(self, pool: _Pool, k: int, status: str) -> tuple[str, str, str, bool, str | None]:
        """(status, businessStatus, owner, escalated, practitioner) for an item k minutes old."""
        rand = self.rng.random
        if status == "requested":
            if pool.chain and k > pool.chain[0][0] and rand() < 0.15:
                # moved by the safety net; a second hop only if the back-up also let it lie
                owner = pool.chain[0][1]
                if len(pool.chain) > 1 and k > pool.chain[1][0] and rand() < 0.3:
                    owner = pool.chain[1][1]
                return status, "escalated", owner, True, None
            r = rand()
            if r < 0.06:
                return status, "forwarded", pool.ref, False, None
            if pool.chain and k > pool.chain[0][0]:
                return status, "opened", pool.ref, False, None
            return status, "new" if r < 0.8 else "opened", pool.ref, False, None
        who = pool.members[int(rand() * len(pool.members))]
        if status == "in-progress":
            r = rand()
            return status, "claimed" if r < 0.75 else "replied" if r < 0.87 else "forwarded", who, False, who
        return status, "done", who, False, who

    def age_for(self, pool: _Pool, status: str) -> int:
        rand = self.rng.random
        if status == "completed":
            return 30 + int(rand() * (PAST_DAYS - 1) * 1440)
        if rand() < 0.85:
            return 5 + int(rand() * pool.resp_k)
        return 5 + int(rand() * (PAST_DAYS - 1) * 1440)

    def priority(self) -> str:
        r = self.rng.random()
        return "routine" if r >= 0.12 else "urgent" if r >= 0.035 else "asap" if r >= 0.004 else "stat"

    def task(self, tid: str, ttype: str, pool: _Pool, pi: int, focus: str, k: int, st: tuple,
             priority: str, description: str) -> dict:
        status, bs, owner, escalated, _who = st
        t = {
            "resourceType": "Task", "id": tid,
            "status": status, "intent": "order", "priority": priority,
            "businessStatus": {"coding": [{"system": TASK_BUSINESS_STATUS, "code": bs}]},
            "code": {"coding": [{"system": TASK_TYPE, "code": ttype}]},
            "description": description,
            "focus": {"reference": focus},
            "for": {"reference": self.pat_ref[pi]},
            "authoredOn": self.clock.at(k),
            "owner": {"reference": owner},
            "restriction": {"period": {"end": self.deadline(pool, k)}},
        }
        if owner.startswith("Practitioner/"):
            t["extension"] = [{"url": EXT_TASK_POOL, "valueReference": {"reference": pool.ref}}]
        elif escalated:
            t["extension"] = [{"url": EXT_ESCALATED, "valueBoolean": True}]
        return t

    def tasks(self) -> Iterator[dict]:
        n_rich = min(self.n_tasks, RICH_TASKS)
        yield from self.rich_tasks(n_rich)
        yield from self.lean_tasks(n_rich, self.n_tasks)

    def lean_tasks(self, start: int, stop: int) -> Iterator[dict]:
        rand = self.rng.random
        at = self.clock.at
        pat_ref, pat_given = self.pat_ref, self.pat_given
        n_pat = self.n_patients
        table = self.pool_table
        n_table = len(table)
        state, age_for, deadline, pick_status = self.state, self.age_for, self.deadline, self.pick_status
        com = self.seq.get("com", 0)
        thread_cat, pm_cat, phone_cat = "thread", "patient-message", "phone-message"
        for t in range(start, stop):
            pool = table[int(rand() * n_table)]
            plist = pool.patients
            pi = int(rand() * n_pat) if plist is None else plist[int(rand() * len(plist))]
            pref = pat_ref[pi]
            phone = rand() < pool.ib.phone_share
            if phone:
                subject, text = pool.phone_texts[int(rand() * len(pool.phone_texts))]
            else:
                lt = pool.lean_texts
                subject, text = lt[int(rand() * len(lt))]
                text = text + pat_given[pi]
            status = pick_status(pool)  # status first, then an age that fits it
            k = age_for(pool, status)
            status, bs, owner, escalated, _who = state(pool, k, status)
            r = rand()
            prio = "routine" if r >= 0.12 else "urgent" if r >= 0.035 else "asap" if r >= 0.004 else "stat"
            com += 1
            hid = f"com-{com:07d}"
            com += 1
            mid = f"com-{com:07d}"
            sent = at(k)
            yield {
                "resourceType": "Communication", "id": hid,
                "status": "completed" if status == "completed" else "in-progress",
                "category": [{"coding": [{"system": COMM_CATEGORY, "code": thread_cat}]}],
                "subject": {"reference": pref},
                "topic": {"text": subject},
            }
            yield {
                "resourceType": "Communication", "id": mid, "status": "completed",
                "partOf": [{"reference": "Communication/" + hid}],
                "category": [{"coding": [{"system": COMM_CATEGORY, "code": phone_cat if phone else pm_cat}]}],
                "medium": [{"coding": [{"system": MEDIUM_SYSTEM, "code": MEDIUM_PHONE if phone else MEDIUM_PORTAL}]}],
                "subject": {"reference": pref},
                "sender": {"reference": pref},
                "recipient": [{"reference": pool.ref}],
                "sent": sent,
                "payload": [{"contentString": text}],
            }
            task = {
                "resourceType": "Task", "id": f"task-{t + 1:07d}",
                "status": status, "intent": "order", "priority": prio,
                "businessStatus": {"coding": [{"system": TASK_BUSINESS_STATUS, "code": bs}]},
                "code": {"coding": [{"system": TASK_TYPE, "code": "phone-message" if phone else "message"}]},
                "description": subject,
                "focus": {"reference": "Communication/" + hid},
                "for": {"reference": pref},
                "authoredOn": sent,
                "owner": {"reference": owner},
                "restriction": {"period": {"end": deadline(pool, k)}},
            }
            if _who is not None:
                task["extension"] = [{"url": EXT_TASK_POOL, "valueReference": {"reference": pool.ref}}]
            elif escalated:
                task["extension"] = [{"url": EXT_ESCALATED, "valueBoolean": True}]
            yield task
        self.seq["com"] = com

    # --- rich items ------------------------------------------------------------------------------
    SCRIPT = (
        # type, inbox, patient index, status, businessStatus hint, extra
        ("message", "hs-fjordvik-legesenter", 0, "requested", dict(subject="Spørsmål om blodprøvesvar", n=1)),
        ("renewal", "hs-fjordvik-legesenter", 1, "requested", dict(proxy=True, med="eliquis")),
        ("result", "hs-fjordvik-legesenter", 1, "requested", dict(panel="nyre", force={"kalium": 6.3},
                                                                  priority="asap", category="clinician-only")),
        ("message", "hs-bakkegata", 2, "requested", dict(proxy=True, priority="urgent", n=1)),
        ("questionnaire", "hs-midtby-medpol", 0, "requested", dict()),
        ("appointment", "hs-midtby-pasientkontor", 1, "requested", dict(kind="change")),
        ("phone-message", "hs-fjordvik-sentralbord", 1, "requested", dict()),
        ("message", "hs-fjordvik-fysio-eira", 0, "requested", dict(subject="Øvelser etter kneoperasjon", n=1)),
        ("message", "hs-fjordvik-legesenter", 0, "completed", dict(subject="Sykmelding", n=2,
                                                                   who="Practitioner/prac-0001")),
        ("message", "hs-fjordvik-legesenter", 0, "in-progress", dict(subject="Bivirkninger av ny medisin", n=1,
                                                                     who="Practitioner/prac-0001")),
        ("result", "hs-midtby-medpol", None, "requested", dict(panel="blod", force={"hb": 7.4}, priority="asap",
                                                               category="auto")),
        ("message", "hs-bakkegata", 3, "requested", dict(proxy=True, n=1)),
        ("appointment", "hs-fjordvik-fysio", None, "requested", dict(kind="request")),
        ("renewal", "hs-fjordvik-legesenter", 0, "in-progress", dict(who="Practitioner/prac-0002",
                                                                     note="Klargjort av sykepleier, "
                                                                          "venter på lege.")),
    )
    TYPE_WEIGHTS = (("message", 50), ("renewal", 13), ("result", 13), ("questionnaire", 7),
                    ("appointment", 9), ("phone-message", 8))
    TYPE_POOLS = {
        "message": None,  # by inbox weight
        "renewal": (("hs-fjordvik-legesenter", 5), ("hs-bakkegata", 4), ("hs-midtby-medpol", 1),
                    ("hs-fjordvik-psyk", 1)),
        "result": (("hs-fjordvik-legesenter", 5), ("hs-bakkegata", 4), ("hs-midtby-medpol", 2),
                   ("hs-midtby-barn", 1)),
        "questionnaire": (("hs-midtby-medpol", 3), ("hs-midtby-ortopedi", 2), ("hs-midtby-barn", 1),
                          ("hs-fjordvik-legesenter", 1)),
        "appointment": (("hs-midtby-pasientkontor", 3), ("hs-fjordvik-legesenter", 2), ("hs-bakkegata", 2),
                        ("hs-fjordvik-fysio", 2), ("hs-fjordvik-fysio-eira", 1)),
        "phone-message": (("hs-fjordvik-sentralbord", 4), ("hs-fjordvik-legesenter-sekretaer", 3),
                          ("hs-midtby-pasientkontor", 2), ("hs-fjordvik-hjemme", 2)),
    }

    def pick_weighted(self, items) -> str:
        total = sum(w for _, w in items)
        r = self.rng.random() * total
        for v, w in items:
            r -= w
            if r < 0:
                return v
        return items[-1][0]

    def rich_patient_for(self, pool: _Pool, need_meds: bool = False) -> int | None:
        rich = self.rich_patients
        cands = [i for i in range(rich)
                 if (pool.ib.office is None or self.pat_office[i] == pool.ib.office)
                 and (not pool.ib.children or self.pat_age[i] < 18)
                 and (not need_meds or self.meds_of.get(i))]
        if not cands:
            return None
        return cands[int(self.rng.random() * len(cands))]

    def rich_tasks(self, n: int) -> Iterator[dict]:
        rng = self.rng
        for t in range(n):
            if t < len(self.SCRIPT):
                ttype, pool_id, pi, status, extra = self.SCRIPT[t]
                pool = self.pools[pool_id]
            else:
                ttype = self.pick_weighted(self.TYPE_WEIGHTS)
                pools = self.TYPE_POOLS[ttype]
                pool = self.pools[self.pick_weighted(pools)] if pools else \
                    self.pool_table[int(rng.random() * len(self.pool_table))]
                pi, status, extra = None, None, {}
            if pi is None:
                pi = self.rich_patient_for(pool, need_meds=ttype == "renewal")
                if pi is None and ttype == "renewal":
                    ttype = "message"
                    pi = self.rich_patient_for(pool)
                if pi is None:
                    pi = 0 if pool.ib.office in (None, 0) else 2
            if ttype == "renewal" and not self.meds_of.get(pi):
                ttype = "message"
            if status is None:
                status = self.pick_status(pool)
                k = max(self.age_for(pool, status), 30)
                st = self.state(pool, k, status)
            else:
                k = self.age_for(pool, status) if status != "requested" else 5 + int(rng.random() * pool.resp_k * 0.5)
                st = self.state(pool, k, status)
                if status == "requested" and st[1] == "escalated":
                    st = ("requested", "new", pool.ref, False, None)
            if extra.get("who"):
                st = (st[0], "claimed" if st[0] == "in-progress" else st[1], extra["who"], False, extra["who"])
            k = max(k, 30)
            tid = f"task-{t + 1:07d}"
            priority = extra.get("priority") or self.priority()
            builder = getattr(self, "focus_" + ttype.replace("-", "_"))
            resources, focus, description, priority2 = builder(pool, pi, k, st, extra)
            yield from resources
            task = self.task(tid, ttype, pool, pi, focus, k, st, priority2 or priority, description)
            notes = []
            if extra.get("note"):
                notes.append((st[4] or pool.members[0], extra["note"]))
            if st[1] == "escalated":
                notes.append((None, f"Flyttet automatisk av sikkerhetsnettet: ikke åpnet i {pool.ib.name} "
                                    f"innen {pool.ib.delay_min // 60} timer."))
            elif st[1] == "forwarded" and st[4] is None:
                notes.append((None, "Videresendt fra sentralbordet."))
            elif st[1] == "forwarded":
                notes.append((pool.members[0], "Videresendt til deg: kan du ta denne?"))
            if rng.random() < 0.2 and pool.members:
                notes.append((pool.members[int(rng.random() * len(pool.members))],
                              texts.INTERNAL_NOTES[int(rng.random() * len(texts.INTERNAL_NOTES))]))
            if notes:
                task["note"] = []
                for j, (author, text) in enumerate(notes):
                    note = {"text": text, "time": self.clock.at(max(k - 1 - j * max(k // 4, 1), 1))}
                    if author:
                        note["authorReference"] = _ref(author)
                    task["note"].append(note)
            yield task

    # Each focus builder returns (resources, focus reference, description, priority override)
    def sender_for(self, pi: int, extra: dict) -> tuple[str, tuple | None]:
        proxies = [p for p in self.proxies_of.get(pi, ()) if p[1] != "read"]
        if proxies and (extra.get("proxy") or (extra.get("proxy") is None and self.rng.random() < 0.6)):
            p = proxies[0]
            return p[0], p
        return self.pat_ref[pi], None

    def proxy_fields(self, pi: int, proxy: tuple) -> dict:
        male = self.pat_male[pi]
        barn = "sønnen min" if male else "datteren min"
        forelder = "far" if male else "mor"
        pron = "han" if male else "hun"
        return dict(barn=barn, Barn=barn.capitalize(), navn=self.pat_given[pi], forelder=forelder,
                    Forelder=forelder.capitalize(), pron=pron, Pron=pron.capitalize(),
                    obj="ham" if male else "henne")

    def signature(self, who: str) -> str:
        s = STAFF_BY_ID[who.split("/", 1)[1]]
        return f"\n\nVennlig hilsen\n{s.given} {s.family}\n{s.title[:1].upper() + s.title[1:]}, {ORG_NAME[s.org]}"

    def message_times(self, k: int, n: int) -> list[int]:
        return [k - (k * j) // (n + 1) for j in range(n)]

    def focus_message(self, pool: _Pool, pi: int, k: int, st: tuple, extra: dict, phone: bool = False):
        rng = self.rng
        status, bs = st[0], st[1]
        sender, proxy = (self.pat_ref[pi], None) if phone else self.sender_for(pi, extra)
        if phone:
            topic = texts.PHONE_TOPICS[int(rng.random() * len(texts.PHONE_TOPICS))]
            subject = topic["subject"]
            first = topic["text"][int(rng.random() * len(topic["text"]))]
            topic = {"reply": ("Takk for beskjed. Vi har ringt deg tilbake.",), "followup": (), "final": ()}
            fields = {}
        elif proxy:
            cands = texts.PROXY_TOPICS[proxy[2]]
            topic = cands[int(rng.random() * len(cands))]
            fields = self.proxy_fields(pi, proxy)
            subject = topic["subject"]
            first = topic["patient"][0].format(**fields) + f"\n\nHilsen {proxy[3]}"
        else:
            fam_topics = [tp for tp in texts.TOPICS if tp["family"] in pool.families]
            if extra.get("subject"):
                fam_topics = [tp for tp in texts.TOPICS if tp["subject"] == extra["subject"]] or fam_topics
            topic = fam_topics[int(rng.random() * len(fam_topics))]
            subject = topic["subject"]
            body = topic["patient"][int(rng.random() * len(topic["patient"]))]
            r = rng.random()
            if r < 0.3:
                first = body
            elif r < 0.8:
                first = f"{texts.GREETINGS[int(rng.random() * len(texts.GREETINGS))]}\n\n{body}\n\nHilsen {self.pat_given[pi]}"
            else:
                first = f"{texts.GREETINGS[0]} {body} Mvh {self.pat_name.get(pi, self.pat_given[pi])}"
            fields = {}
        # How many messages, given the state
        if "n" in extra:
            n = extra["n"]
        elif status == "completed":
            n = 2 if rng.random() < 0.6 else 4 if rng.random() < 0.6 else 1
        elif bs == "replied":
            n = 2 if rng.random() < 0.7 else 4
        elif bs == "forwarded":
            n = 1
        else:
            n = 1 if rng.random() < 0.7 else 3
        replier = st[4] or (pool.members[int(rng.random() * len(pool.members))] if pool.members else None)
        if replier is None:
            n = 1
        times = self.message_times(k, n)
        for j in range(1, n, 2):  # staff write in working hours
            times[j] = self.clock.working_hours(times[j], times[j - 1], times[j + 1] if j + 1 < n else 0,
                                                rng.random())
        header_id = self.next_id("com", 7)
        pref = self.pat_ref[pi]
        resources = [{
            "resourceType": "Communication", "id": header_id,
            "status": "completed" if status == "completed" else "in-progress",
            "category": [_cc(COMM_CATEGORY, "thread")],
            "subject": _ref(pref), "topic": {"text": subject},
        }]
        followups = topic.get("followup") or ("Takk for svar.",)
        finals = topic.get("final") or ("Bare hyggelig. Ta kontakt igjen om det er noe mer.",)
        replies = topic.get("reply") or ("Takk for meldingen. Vi tar kontakt.",)
        for j in range(n):
            staff = j % 2 == 1
            if j == 0:
                text = first
            elif staff:
                src = replies if j == 1 else finals
                text = src[int(rng.random() * len(src))].format(**fields) + self.signature(replier)
            else:
                text = followups[int(rng.random() * len(followups))].format(**fields)
            if staff:
                cat, snd, rcp = "staff-reply", replier, [_ref(pref)] + ([_ref(sender)] if sender != pref else [])
                medium = MEDIUM_PORTAL
            else:
                cat = "phone-message" if phone and j == 0 else "patient-message"
                snd, rcp = sender, [_ref(pool.ref)]
                medium = MEDIUM_PHONE if phone and j == 0 else MEDIUM_PORTAL
            resources.append({
                "resourceType": "Communication", "id": self.next_id("com", 7), "status": "completed",
                "partOf": [_ref(f"Communication/{header_id}")],
                "category": [_cc(COMM_CATEGORY, cat)],
                "medium": [_cc(MEDIUM_SYSTEM, medium)],
                "subject": _ref(pref), "sender": _ref(snd), "recipient": rcp,
                "sent": self.clock.at(times[j]),
                "payload": [{"contentString": text}],
            })
        return resources, f"Communication/{header_id}", subject, None

    def focus_phone_message(self, pool, pi, k, st, extra):
        return self.focus_message(pool, pi, k, st, extra, phone=True)

    def focus_renewal(self, pool: _Pool, pi: int, k: int, st: tuple, extra: dict):
        rng = self.rng
        meds = self.meds_of[pi]
        prior_ref, key = meds[int(rng.random() * len(meds))]
        if extra.get("med"):
            prior_ref, key = next(((r, m) for r, m in meds if m == extra["med"]), (prior_ref, key))
        atc, disp, text, dosage = MEDICINES[key]
        requester, proxy = self.sender_for(pi, extra)
        pharmacy = texts.PHARMACIES[int(rng.random() * len(texts.PHARMACIES))]
        note = ("Har tabletter til og med fredag." if rng.random() < 0.5 else "Resepten har gått ut.") + \
            f" Henter på {pharmacy}."
        if proxy:
            note = "Bestilt av fullmektig. " + note
        mid = self.next_id("mr", 6)
        res = {
            "resourceType": "MedicationRequest", "id": mid, "status": "draft", "intent": "proposal",
            "medicationCodeableConcept": _cc(ATC, atc, disp, text),
            "subject": _ref(self.pat_ref[pi]), "authoredOn": self.clock.at(k),
            "requester": _ref(requester),
            "basedOn": [_ref(prior_ref)], "priorPrescription": _ref(prior_ref),
            "dosageInstruction": [{"text": dosage}],
            "note": [{"text": note}],
        }
        priority = None
        if key in ("zopiklon",):
            res["note"].append({"text": "Vanedannende legemiddel: vurderes av lege."})
        return [res], f"MedicationRequest/{mid}", f"Reseptfornyelse: {text}", priority

    def focus_result(self, pool: _Pool, pi: int, k: int, st: tuple, extra: dict):
        rng = self.rng
        panels = self.panels_of.get(pi) or ["blod"]
        panel = extra.get("panel") or panels[int(rng.random() * len(panels))]
        cat = "clinician-or-14d" if rng.random() < 0.7 else "clinician-only"
        when = self.clock.base - dt.timedelta(minutes=k + 240)
        n = self.seq.get("dr", 0) + 1  # the id number this report gets
        if extra.get("category"):
            cat = extra["category"]
        elif n % 10 == 3:
            cat = "auto"
        resources = list(self.report(pi, panel, when, cat, force=extra.get("force"), issued=self.clock.at(k)))
        obs = self.last_report_obs
        if not extra and n % 10 == 7:
            # A genetic test: never shared online. The lab report above stays in the history.
            name, conclusion, cat2 = TEXT_REPORTS[2]
            rep = {
                "resourceType": "DiagnosticReport", "id": self.next_id("dr", 6),
                "extension": [{"url": EXT_RELEASE_CATEGORY, "valueCode": cat2}], "status": "final",
                "category": [_cc("http://terminology.hl7.org/CodeSystem/v2-0074", "GE", None)],
                "code": {"text": name}, "subject": _ref(self.pat_ref[pi]),
                "effectiveDateTime": self.clock.instant(self.clock.base - dt.timedelta(minutes=k + 7 * 1440)),
                "issued": self.clock.at(k),
                "performer": [_ref("Organization/org-midtby-sykehus")], "conclusion": conclusion,
            }
            return resources + [rep], f"DiagnosticReport/{rep['id']}", f"Prøvesvar: {name}", None
        flags = [o["interpretation"][0]["coding"][0]["code"] for o in obs]
        abnormal = [f"{o['code']['text']} {o['valueQuantity']['value']} {o['valueQuantity']['unit']} ({c})"
                    for o, c in zip(obs, flags) if c != "N"]
        desc = f"Prøvesvar: {PANELS[panel][0]}"
        if abnormal:
            desc += ": " + ", ".join(abnormal)
        priority = None
        if any(c in ("HH", "LL") for c in flags):
            priority = extra.get("priority") or "asap"
        return resources, f"DiagnosticReport/{resources[-1]['id']}", desc, priority

    def focus_questionnaire(self, pool: _Pool, pi: int, k: int, st: tuple, extra: dict):
        rng = self.rng
        fever = rng.random() < 0.3
        cough = rng.random() < 0.35
        items = [{"linkId": "feber", "text": "Har du feber (over 38 °C)?", "answer": [{"valueBoolean": fever}]}]
        if fever:
            items.append({"linkId": "temperatur", "text": "Høyeste målte temperatur (°C)",
                          "answer": [{"valueDecimal": round(38.1 + rng.random() * 1.8, 1)}]})
        qid = f"qr-{self.seq.get('qr', 0) + 1:06d}"
        items += [
            {"linkId": "hoste", "text": "Har du hoste?", "answer": [{"valueBoolean": cough}]},
        ]
        if cough:
            items.append({"linkId": "hoste-uker", "text": "Hvor mange uker har du hostet?",
                          "answer": [{"valueInteger": 1 + int(qid[3:]) % 6}]})
        items += [
            {"linkId": "reise", "text": "Har du vært på reise utenfor Norden de siste 14 dagene?",
             "answer": [{"valueBoolean": rng.random() < 0.1}]},
            {"linkId": "blodfortynnende", "text": "Bruker du blodfortynnende medisiner?",
             "answer": [{"valueBoolean": any(m == "eliquis" for _, m in self.meds_of.get(pi, ()))}]},
        ]
        if rng.random() < 0.4:
            items.append({"linkId": "annet", "text": "Er det noe annet du vil at vi skal vite før timen?",
                          "answer": [{"valueString": ("Jeg er redd for sprøyter.", "Jeg trenger tolk (arabisk).",
                                                      "Jeg bruker rullestol.", "Jeg har fått time hos tannlegen samme dag, kan vi ta det tidlig?")[int(rng.random() * 4)]}]})
        author, _ = self.sender_for(pi, extra)
        self.next_id("qr", 6)  # == qid
        res = {
            "resourceType": "QuestionnaireResponse", "id": qid, "questionnaire": QUESTIONNAIRE_URL,
            "status": "completed", "subject": _ref(self.pat_ref[pi]), "authored": self.clock.at(k),
            "author": _ref(author), "source": _ref(author), "item": items,
        }
        desc = "Forhåndsskjema før time" + (": oppgir feber" if fever else "")
        return [res], f"QuestionnaireResponse/{qid}", desc, "urgent" if fever and cough else None

    SERVICES = {
        "hospital": "Kontroll, medisinsk poliklinikk", "ortho": "Kontroll etter operasjon",
        "child": "Kontroll, barnepoliklinikk", "physio": "Fysioterapi", "gp": "Time hos fastlege",
        "mental": "Samtale", "homecare": "Hjemmebesøk",
    }

    def focus_appointment(self, pool: _Pool, pi: int, k: int, st: tuple, extra: dict):
        rng = self.rng
        kind = extra.get("kind") or ("request", "change", "cancel")[int(rng.random() * 3)]
        service = self.SERVICES.get(pool.families[0], "Time")
        pref = self.pat_ref[pi]
        day = 2 + int(rng.random() * 20)
        slot = self.clock.future_slot(day, 8 * 60 + 15 * int(rng.random() * 28))
        aid = self.next_id("appt", 6)
        res: dict = {"resourceType": "Appointment", "id": aid, "serviceType": [{"text": service}],
                     "created": self.clock.at(k)[:10]}
        if kind == "request":
            res.update({
                "status": "proposed", "description": f"Ønsker time: {service.lower()}",
                "comment": ("Passer best etter kl. 14.", "Kan komme når som helst.",
                            "Helst ikke mandager.")[int(rng.random() * 3)],
                "requestedPeriod": [{"start": self.clock.at(slot), "end": self.clock.at(slot - 7 * 1440)}],
                "participant": [{"actor": _ref(pref), "required": "required", "status": "accepted"},
                                {"actor": _ref(pool.ref), "required": "required", "status": "needs-action"}],
            })
            desc = f"Ønsker time: {service.lower()}"
        else:
            res.update({
                "status": "booked", "description": service,
                "start": self.clock.at(slot), "end": self.clock.at(slot - 30),
                "minutesDuration": 30,
                "comment": "Ønsker å flytte timen til en annen dag." if kind == "change"
                else "Ønsker å avbestille timen.",
                "participant": [{"actor": _ref(pref), "required": "required", "status": "accepted"},
                                {"actor": _ref(pool.ref), "required": "required", "status": "accepted"}],
            })
            desc = "Ønsker å endre time" if kind == "change" else "Ønsker å avbestille time"
        return [res], f"Appointment/{aid}", desc, None
