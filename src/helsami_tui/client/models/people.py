"""People: the patient banner, the signed-in user and their signature, pools, absences, proxies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .base import (
    BASE,
    FNR_SYSTEM,
    Json,
    _d,
    _ext,
    _l,
    _Model,
    _s,
    age_on,
    display_of,
    first_code,
    human_name,
    identifier_value,
    parse_date,
    parse_instant,
    ref_of,
)
from .codes import PROXY_LEVELS, STAFF_ROLES, USER_KINDS, ProxyLevel, StaffRole, Unknown, UserKind, coded

# -- people, pools, me ------------------------------------------------------------------------


class PatientSummary(_Model):
    """What the banner shows about a patient."""

    id: str
    name: str
    birth_date: dt.date | None
    age: int | None  # on the `today` given to from_fhir
    national_id: str
    gender: str
    phone: str
    deceased: bool
    address_masked: bool  # the portal replaced a confidential address

    @classmethod
    def from_fhir(cls, r: Json, today: dt.date | None = None) -> PatientSummary:
        birth = parse_date(r.get("birthDate"))
        phone = ""
        for t in _l(r.get("telecom")):
            if isinstance(t, dict) and t.get("system") == "phone" and isinstance(t.get("value"), str):
                phone = t["value"]
                break
        masked = False
        for a in _l(r.get("address")):
            for e in _l(_d(a).get("extension")):
                if isinstance(e, dict) and _s(e.get("url")).endswith("data-absent-reason"):
                    masked = True
        deceased = r.get("deceasedBoolean") is True or isinstance(r.get("deceasedDateTime"), str)
        return cls.model_construct(
            id=_s(r.get("id")),
            name=human_name(r),
            birth_date=birth,
            age=age_on(birth, today or dt.date.today()),
            national_id=identifier_value(r, FNR_SYSTEM),
            gender=_s(r.get("gender")),
            phone=phone,
            deceased=deceased,
            address_masked=masked,
        )

    @property
    def ref(self) -> str:
        return f"Patient/{self.id}"

    def age_on(self, today: dt.date) -> int | None:
        return age_on(self.birth_date, today)


class Pools(list["Pool"]):
    """The caller's inboxes (from /fhir/$pools), with the event stream's position before they were
    read (`events_from`, None when the portal gives none): following the stream from there
    (`Last-Event-ID`), no change made after the inbox's first page was read is missed."""

    events_from: str | None = None

    @classmethod
    def from_fhir(cls, data: Json) -> Pools:
        out = cls(Pool.from_fhir(p) for p in data.get("pools") or [] if isinstance(p, dict))
        position = data.get("events")
        ok = isinstance(position, str) and 0 < len(position) <= 18 and position.isascii() and position.isdigit()
        out.events_from = position if ok else None  # as the portal takes a Last-Event-ID
        return out


class Pool(_Model):
    """An inbox with its counts (from /fhir/$pools). The personal entry has an empty id."""

    id: str
    name: str
    waiting: int
    urgent: int
    overdue: int
    personal: bool

    @classmethod
    def from_fhir(cls, r: Json) -> Pool:
        def n(key: str) -> int:
            v = r.get(key)
            return v if isinstance(v, int) and not isinstance(v, bool) else 0

        return cls.model_construct(
            id=_s(r.get("id")),
            name=_s(r.get("name")),
            waiting=n("waiting"),
            urgent=n("urgent"),
            overdue=n("overdue"),
            personal=r.get("personal") is True,
        )

    @property
    def ref(self) -> str:
        return f"HealthcareService/{self.id}" if self.id else ""


class Me(_Model):
    """The signed-in user (from /fhir/$whoami)."""

    username: str
    kind: UserKind | Unknown
    resource: str  # "Practitioner/..."
    display: str
    roles: tuple[StaffRole, ...]  # the roles and duties this client knows
    pools: tuple[str, ...]

    @classmethod
    def from_fhir(cls, r: Json) -> Me:
        return cls.model_construct(
            username=_s(r.get("username")),
            kind=coded(r.get("kind"), USER_KINDS),
            resource=_s(r.get("resource")),
            display=_s(r.get("display")),
            roles=tuple(x for x in _l(r.get("roles")) if x in STAFF_ROLES),
            pools=tuple(_s(x) for x in _l(r.get("pools"))),
        )

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def works_in_inbox(self) -> bool:
        return self.has_role("physician", "nurse", "switchboard")

    @property
    def sees_clinical(self) -> bool:
        return self.has_role("physician", "nurse")


class StaffProfile(_Model):
    """What a reply's signature says about the signed-in staff member: the name, the title
    (Practitioner.qualification), the role code and the unit (PractitionerRole.organization)."""

    name: str
    title: str
    role: str
    unit: str
    unit_ref: str

    @classmethod
    def from_fhir(cls, practitioner: Json, roles: list[Json], me: Me | None = None) -> StaffProfile:
        name = _s(me.display if me is not None else "")
        for n in _l(practitioner.get("name")):
            if not name and isinstance(n, dict):
                name = _s(n.get("text")) or " ".join([*map(_s, _l(n.get("given"))), _s(n.get("family"))]).strip()
        title = ""
        for q in _l(practitioner.get("qualification")):
            code = _d(_d(q).get("code"))
            title = _s(code.get("text")) or next((_s(_d(c).get("display")) for c in _l(code.get("coding"))), "")
            if title:
                break
        unit = unit_ref = role = ""
        for r in roles:
            if r.get("active") is False:
                continue
            org = _d(r.get("organization"))
            unit, unit_ref = _s(org.get("display")), ref_of(org)
            role = next((_s(_d(c).get("code")) for cc in _l(r.get("code")) for c in _l(_d(cc).get("coding"))), "")
            break
        return cls.model_construct(name=name, title=title, role=role, unit=unit, unit_ref=unit_ref)


EXT_ABSENCE = f"{BASE}/StructureDefinition/absence"


class Absence(_Model):
    """A staff member's absence, from the `absence` extension on their Practitioner."""

    practitioner_ref: str
    away: bool
    delegate_ref: str
    delegate_display: str
    since: dt.datetime | None

    @classmethod
    def from_fhir(cls, prac: Json) -> Absence:
        away, delegate, since = False, {}, None
        ext = _ext(prac, EXT_ABSENCE)
        if ext:
            for part in _l(ext.get("extension")):
                if not isinstance(part, dict):
                    continue
                if part.get("url") == "away":
                    away = part.get("valueBoolean") is True
                elif part.get("url") == "delegate":
                    delegate = _d(part.get("valueReference"))
                elif part.get("url") == "since":
                    since = parse_instant(part.get("valueInstant"))
        return cls.model_construct(
            practitioner_ref=f"Practitioner/{_s(prac.get('id'))}",
            away=away,
            delegate_ref=ref_of(delegate) if away else "",
            delegate_display=display_of(delegate) if away else "",
            since=since if away else None,
        )


# -- proxies (fullmakt) -----------------------------------------------------------------------

PROXY_LEVEL_SYSTEM = f"{BASE}/CodeSystem/proxy-level"
PROXY_CONSENT_CATEGORY = "59284-0"  # LOINC "Consent Document": the proxy grants (fullmakt)


class Proxy(_Model):
    """Someone who may see or act for the patient: name, relation and level (from the active proxy
    Consent and its RelatedPerson)."""

    ref: str
    name: str
    relation_code: str  # v3 RoleCode: FTH, MTH, DAU, SON, ...
    relation_text: str
    level: ProxyLevel
    until: dt.date | None


def proxies_from(consents: Iterable[Json], people: Iterable[Json], today: dt.date | None = None) -> list[Proxy]:
    """The proxies in force: active proxy grants (not ended) joined with the person they name."""
    by_ref = {f"RelatedPerson/{_s(p.get('id'))}": p for p in people if isinstance(p, dict)}
    out: list[Proxy] = []
    day = today or dt.date.today()
    for c in consents:
        if not isinstance(c, dict) or c.get("status") != "active":
            continue
        if first_code(c.get("category")) != PROXY_CONSENT_CATEGORY:
            continue  # a restriction (skjerming) or another kind of consent
        prov = _d(c.get("provision"))
        period = _d(prov.get("period"))
        until = parse_date(_s(period.get("end"))[:10]) if period.get("end") else None
        if until is not None and until < day:
            continue
        for actor in _l(prov.get("actor")):
            ref = ref_of(_d(actor).get("reference"))
            person = by_ref.get(ref)
            if person is None:
                continue
            rel = _l(person.get("relationship"))
            out.append(
                Proxy.model_construct(
                    ref=ref,
                    name=human_name(person),
                    relation_code=first_code(rel),
                    relation_text=_s(_d(rel[0] if rel else {}).get("text")),
                    level=coded(first_code(prov.get("code"), PROXY_LEVEL_SYSTEM), PROXY_LEVELS) or "standard",
                    until=until,
                )
            )
    return out
