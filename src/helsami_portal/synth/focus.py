"""The focus of each rich inbox item: the thread, renewal request, lab report, questionnaire response or
appointment that its Task is about."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, cast

from ..fhir.conventions import (
    COMM_CATEGORY,
    EXT_RELEASE_CATEGORY,
    MEDIUM_PHONE,
    MEDIUM_PORTAL,
    MEDIUM_SYSTEM,
)
from . import texts
from .clinical import _Clinical
from .common import (
    QUESTIONNAIRE_URL,
    Focus,
    Proxy,
    Resource,
    State,
    _cc,
    _Pool,
    _ref,
)
from .model import (
    ATC,
    MEDICINES,
    ORG_NAME,
    PANELS,
    STAFF_BY_ID,
    TEXT_REPORTS,
)


class _Focus(_Clinical):
    # Each focus builder returns (resources, focus reference, description, priority override)
    def sender_for(self, pi: int, extra: dict[str, Any]) -> tuple[str, Proxy | None]:
        proxies = [p for p in self.proxies_of.get(pi, ()) if p[1] != "read"]
        if proxies and (extra.get("proxy") or (extra.get("proxy") is None and self.rng.random() < 0.6)):
            p = proxies[0]
            return p[0], p
        return self.pat_ref[pi], None

    def proxy_fields(self, pi: int, proxy: Proxy) -> dict[str, str]:
        male = self.pat_male[pi]
        barn = "sønnen min" if male else "datteren min"
        forelder = "far" if male else "mor"
        pron = "han" if male else "hun"
        return dict(
            barn=barn,
            Barn=barn.capitalize(),
            navn=self.pat_given[pi],
            forelder=forelder,
            Forelder=forelder.capitalize(),
            pron=pron,
            Pron=pron.capitalize(),
            obj="ham" if male else "henne",
        )

    def signature(self, who: str) -> str:
        s = STAFF_BY_ID[who.split("/", 1)[1]]
        return f"\n\nVennlig hilsen\n{s.given} {s.family}\n{s.title[:1].upper() + s.title[1:]}, {ORG_NAME[s.org]}"

    def message_times(self, k: int, n: int) -> list[int]:
        return [k - (k * j) // (n + 1) for j in range(n)]

    def focus_message(
        self, pool: _Pool, pi: int, k: int, st: State, extra: dict[str, Any], phone: bool = False
    ) -> Focus:
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
            times[j] = self.clock.working_hours(times[j], times[j - 1], times[j + 1] if j + 1 < n else 0, rng.random())
        header_id = self.next_id("com", 7)
        pref = self.pat_ref[pi]
        resources: list[Resource] = [
            {
                "resourceType": "Communication",
                "id": header_id,
                "status": "completed" if status == "completed" else "in-progress",
                "category": [_cc(COMM_CATEGORY, "thread")],
                "subject": _ref(pref),
                "topic": {"text": subject},
            }
        ]
        followups = topic.get("followup") or ("Takk for svar.",)
        finals = topic.get("final") or ("Bare hyggelig. Ta kontakt igjen om det er noe mer.",)
        replies = topic.get("reply") or ("Takk for meldingen. Vi tar kontakt.",)
        for j in range(n):
            staff = j % 2 == 1
            if j == 0:
                text = first
            elif staff:
                src = replies if j == 1 else finals
                text = src[int(rng.random() * len(src))].format(**fields) + self.signature(cast(str, replier))
            else:
                text = followups[int(rng.random() * len(followups))].format(**fields)
            if staff:
                cat, snd = "staff-reply", cast(str, replier)  # a staff message only when there is a replier
                rcp = [_ref(pref)] + ([_ref(sender)] if sender != pref else [])
                medium = MEDIUM_PORTAL
            else:
                cat = "phone-message" if phone and j == 0 else "patient-message"
                snd, rcp = sender, [_ref(pool.ref)]
                medium = MEDIUM_PHONE if phone and j == 0 else MEDIUM_PORTAL
            resources.append(
                {
                    "resourceType": "Communication",
                    "id": self.next_id("com", 7),
                    "status": "completed",
                    "partOf": [_ref(f"Communication/{header_id}")],
                    "category": [_cc(COMM_CATEGORY, cat)],
                    "medium": [_cc(MEDIUM_SYSTEM, medium)],
                    "subject": _ref(pref),
                    "sender": _ref(snd),
                    "recipient": rcp,
                    "sent": self.clock.at(times[j]),
                    "payload": [{"contentString": text}],
                }
            )
        return resources, f"Communication/{header_id}", subject, None

    def focus_phone_message(self, pool: _Pool, pi: int, k: int, st: State, extra: dict[str, Any]) -> Focus:
        return self.focus_message(pool, pi, k, st, extra, phone=True)

    def focus_renewal(self, pool: _Pool, pi: int, k: int, st: State, extra: dict[str, Any]) -> Focus:
        rng = self.rng
        meds = self.meds_of[pi]
        prior_ref, key = meds[int(rng.random() * len(meds))]
        if extra.get("med"):
            prior_ref, key = next(((r, m) for r, m in meds if m == extra["med"]), (prior_ref, key))
        atc, disp, text, dosage = MEDICINES[key]
        requester, proxy = self.sender_for(pi, extra)
        pharmacy = texts.PHARMACIES[int(rng.random() * len(texts.PHARMACIES))]
        note = (
            "Har tabletter til og med fredag." if rng.random() < 0.5 else "Resepten har gått ut."
        ) + f" Henter på {pharmacy}."
        if proxy:
            note = "Bestilt av fullmektig. " + note
        mid = self.next_id("mr", 6)
        res: Resource = {
            "resourceType": "MedicationRequest",
            "id": mid,
            "status": "draft",
            "intent": "proposal",
            "medicationCodeableConcept": _cc(ATC, atc, disp, text),
            "subject": _ref(self.pat_ref[pi]),
            "authoredOn": self.clock.at(k),
            "requester": _ref(requester),
            "basedOn": [_ref(prior_ref)],
            "priorPrescription": _ref(prior_ref),
            "dosageInstruction": [{"text": dosage}],
            "note": [{"text": note}],
        }
        priority = None
        if key in ("zopiklon",):
            res["note"].append({"text": "Vanedannende legemiddel: vurderes av lege."})
        return [res], f"MedicationRequest/{mid}", f"Reseptfornyelse: {text}", priority

    def focus_result(self, pool: _Pool, pi: int, k: int, st: State, extra: dict[str, Any]) -> Focus:
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
                "resourceType": "DiagnosticReport",
                "id": self.next_id("dr", 6),
                "extension": [{"url": EXT_RELEASE_CATEGORY, "valueCode": cat2}],
                "status": "final",
                "category": [_cc("http://terminology.hl7.org/CodeSystem/v2-0074", "GE", None)],
                "code": {"text": name},
                "subject": _ref(self.pat_ref[pi]),
                "effectiveDateTime": self.clock.instant(self.clock.base - dt.timedelta(minutes=k + 7 * 1440)),
                "issued": self.clock.at(k),
                "performer": [_ref("Organization/org-midtby-sykehus")],
                "conclusion": conclusion,
            }
            return resources + [rep], f"DiagnosticReport/{rep['id']}", f"Prøvesvar: {name}", None
        flags = [o["interpretation"][0]["coding"][0]["code"] for o in obs]
        abnormal = [
            f"{o['code']['text']} {o['valueQuantity']['value']} {o['valueQuantity']['unit']} ({c})"
            for o, c in zip(obs, flags, strict=True)
            if c != "N"
        ]
        desc = f"Prøvesvar: {PANELS[panel][0]}"
        if abnormal:
            desc += ": " + ", ".join(abnormal)
        priority = None
        if any(c in ("HH", "LL") for c in flags):
            priority = extra.get("priority") or "asap"
        return resources, f"DiagnosticReport/{resources[-1]['id']}", desc, priority

    def focus_questionnaire(self, pool: _Pool, pi: int, k: int, st: State, extra: dict[str, Any]) -> Focus:
        rng = self.rng
        fever = rng.random() < 0.3
        cough = rng.random() < 0.35
        items = [{"linkId": "feber", "text": "Har du feber (over 38 °C)?", "answer": [{"valueBoolean": fever}]}]
        if fever:
            items.append(
                {
                    "linkId": "temperatur",
                    "text": "Høyeste målte temperatur (°C)",
                    "answer": [{"valueDecimal": round(38.1 + rng.random() * 1.8, 1)}],
                }
            )
        qid = f"qr-{self.seq.get('qr', 0) + 1:06d}"
        items += [
            {"linkId": "hoste", "text": "Har du hoste?", "answer": [{"valueBoolean": cough}]},
        ]
        if cough:
            items.append(
                {
                    "linkId": "hoste-uker",
                    "text": "Hvor mange uker har du hostet?",
                    "answer": [{"valueInteger": 1 + int(qid[3:]) % 6}],
                }
            )
        items += [
            {
                "linkId": "reise",
                "text": "Har du vært på reise utenfor Norden de siste 14 dagene?",
                "answer": [{"valueBoolean": rng.random() < 0.1}],
            },
            {
                "linkId": "blodfortynnende",
                "text": "Bruker du blodfortynnende medisiner?",
                "answer": [{"valueBoolean": any(m == "eliquis" for _, m in self.meds_of.get(pi, ()))}],
            },
        ]
        if rng.random() < 0.4:
            items.append(
                {
                    "linkId": "annet",
                    "text": "Er det noe annet du vil at vi skal vite før timen?",
                    "answer": [
                        {
                            "valueString": (
                                "Jeg er redd for sprøyter.",
                                "Jeg trenger tolk (arabisk).",
                                "Jeg bruker rullestol.",
                                "Jeg har fått time hos tannlegen samme dag, kan vi ta det tidlig?",
                            )[int(rng.random() * 4)]
                        }
                    ],
                }
            )
        author, _ = self.sender_for(pi, extra)
        self.next_id("qr", 6)  # == qid
        res = {
            "resourceType": "QuestionnaireResponse",
            "id": qid,
            "questionnaire": QUESTIONNAIRE_URL,
            "status": "completed",
            "subject": _ref(self.pat_ref[pi]),
            "authored": self.clock.at(k),
            "author": _ref(author),
            "source": _ref(author),
            "item": items,
        }
        desc = "Forhåndsskjema før time" + (": oppgir feber" if fever else "")
        return [res], f"QuestionnaireResponse/{qid}", desc, "urgent" if fever and cough else None

    SERVICES: ClassVar[dict[str, str]] = {
        "hospital": "Kontroll, medisinsk poliklinikk",
        "ortho": "Kontroll etter operasjon",
        "child": "Kontroll, barnepoliklinikk",
        "physio": "Fysioterapi",
        "gp": "Time hos fastlege",
        "mental": "Samtale",
        "homecare": "Hjemmebesøk",
    }

    def focus_appointment(self, pool: _Pool, pi: int, k: int, st: State, extra: dict[str, Any]) -> Focus:
        rng = self.rng
        kind = extra.get("kind") or ("request", "change", "cancel")[int(rng.random() * 3)]
        service = self.SERVICES.get(pool.families[0], "Time")
        pref = self.pat_ref[pi]
        day = 2 + int(rng.random() * 20)
        slot = self.clock.future_slot(day, 8 * 60 + 15 * int(rng.random() * 28))
        aid = self.next_id("appt", 6)
        res: Resource = {
            "resourceType": "Appointment",
            "id": aid,
            "serviceType": [{"text": service}],
            "created": self.clock.at(k)[:10],
        }
        if kind == "request":
            res.update(
                {
                    "status": "proposed",
                    "description": f"Ønsker time: {service.lower()}",
                    "comment": ("Passer best etter kl. 14.", "Kan komme når som helst.", "Helst ikke mandager.")[
                        int(rng.random() * 3)
                    ],
                    "requestedPeriod": [{"start": self.clock.at(slot), "end": self.clock.at(slot - 7 * 1440)}],
                    "participant": [
                        {"actor": _ref(pref), "required": "required", "status": "accepted"},
                        {"actor": _ref(pool.ref), "required": "required", "status": "needs-action"},
                    ],
                }
            )
            desc = f"Ønsker time: {service.lower()}"
        else:
            res.update(
                {
                    "status": "booked",
                    "description": service,
                    "start": self.clock.at(slot),
                    "end": self.clock.at(slot - 30),
                    "minutesDuration": 30,
                    "comment": "Ønsker å flytte timen til en annen dag."
                    if kind == "change"
                    else "Ønsker å avbestille timen.",
                    "participant": [
                        {"actor": _ref(pref), "required": "required", "status": "accepted"},
                        {"actor": _ref(pool.ref), "required": "required", "status": "accepted"},
                    ],
                }
            )
            desc = "Ønsker å endre time" if kind == "change" else "Ønsker å avbestille time"
        return [res], f"Appointment/{aid}", desc, None
