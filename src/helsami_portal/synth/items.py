"""The inbox items (Tasks): their states, owners, deadlines and priorities, the scripted rich items and the
lean ones drawn from text pools."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from ..fhir.conventions import (
    COMM_CATEGORY,
    EXT_ESCALATED,
    EXT_TASK_POOL,
    MEDIUM_PHONE,
    MEDIUM_PORTAL,
    MEDIUM_SYSTEM,
    TASK_BUSINESS_STATUS,
    TASK_TYPE,
)
from . import texts
from .common import (
    PAST_DAYS,
    RICH_TASKS,
    Resource,
    State,
    _Pool,
    _ref,
)
from .focus import _Focus


class _Items(_Focus):
    # --- inbox items -------------------------------------------------------------------------
    def pick_status(self, pool: _Pool) -> str:
        r = self.rng.random()
        return "requested" if r < 0.62 or not pool.members else "in-progress" if r < 0.76 else "completed"

    def state(self, pool: _Pool, k: int, status: str) -> State:
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

    def task(
        self, tid: str, ttype: str, pool: _Pool, pi: int, focus: str, k: int, st: State, priority: str, description: str
    ) -> Resource:
        status, bs, owner, escalated, _who = st
        t: Resource = {
            "resourceType": "Task",
            "id": tid,
            "status": status,
            "intent": "order",
            "priority": priority,
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

    def tasks(self) -> Iterator[Resource]:
        n_rich = min(self.n_tasks, RICH_TASKS)
        yield from self.rich_tasks(n_rich)
        yield from self.lean_tasks(n_rich, self.n_tasks)

    def lean_tasks(self, start: int, stop: int) -> Iterator[Resource]:
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
                "resourceType": "Communication",
                "id": hid,
                "status": "completed" if status == "completed" else "in-progress",
                "category": [{"coding": [{"system": COMM_CATEGORY, "code": thread_cat}]}],
                "subject": {"reference": pref},
                "topic": {"text": subject},
            }
            yield {
                "resourceType": "Communication",
                "id": mid,
                "status": "completed",
                "partOf": [{"reference": "Communication/" + hid}],
                "category": [{"coding": [{"system": COMM_CATEGORY, "code": phone_cat if phone else pm_cat}]}],
                "medium": [{"coding": [{"system": MEDIUM_SYSTEM, "code": MEDIUM_PHONE if phone else MEDIUM_PORTAL}]}],
                "subject": {"reference": pref},
                "sender": {"reference": pref},
                "recipient": [{"reference": pool.ref}],
                "sent": sent,
                "payload": [{"contentString": text}],
            }
            task: Resource = {
                "resourceType": "Task",
                "id": f"task-{t + 1:07d}",
                "status": status,
                "intent": "order",
                "priority": prio,
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
    SCRIPT: ClassVar[tuple[tuple[str, str, int | None, str, dict[str, Any]], ...]] = (
        # type, inbox, patient index, status, businessStatus hint, extra
        ("message", "hs-fjordvik-legesenter", 0, "requested", dict(subject="Spørsmål om blodprøvesvar", n=1)),
        ("renewal", "hs-fjordvik-legesenter", 1, "requested", dict(proxy=True, med="eliquis")),
        (
            "result",
            "hs-fjordvik-legesenter",
            1,
            "requested",
            dict(panel="nyre", force={"kalium": 6.3}, priority="asap", category="clinician-only"),
        ),
        ("message", "hs-bakkegata", 2, "requested", dict(proxy=True, priority="urgent", n=1)),
        ("questionnaire", "hs-midtby-medpol", 0, "requested", dict()),
        ("appointment", "hs-midtby-pasientkontor", 1, "requested", dict(kind="change")),
        ("phone-message", "hs-fjordvik-sentralbord", 1, "requested", dict()),
        ("message", "hs-fjordvik-fysio-eira", 0, "requested", dict(subject="Øvelser etter kneoperasjon", n=1)),
        (
            "message",
            "hs-fjordvik-legesenter",
            0,
            "completed",
            dict(subject="Sykmelding", n=2, who="Practitioner/prac-0001"),
        ),
        (
            "message",
            "hs-fjordvik-legesenter",
            0,
            "in-progress",
            dict(subject="Bivirkninger av ny medisin", n=1, who="Practitioner/prac-0001"),
        ),
        (
            "result",
            "hs-midtby-medpol",
            None,
            "requested",
            dict(panel="blod", force={"hb": 7.4}, priority="asap", category="auto"),
        ),
        ("message", "hs-bakkegata", 3, "requested", dict(proxy=True, n=1)),
        ("appointment", "hs-fjordvik-fysio", None, "requested", dict(kind="request")),
        (
            "renewal",
            "hs-fjordvik-legesenter",
            0,
            "in-progress",
            dict(who="Practitioner/prac-0002", note="Klargjort av sykepleier, venter på lege."),
        ),
    )
    TYPE_WEIGHTS = (
        ("message", 50),
        ("renewal", 13),
        ("result", 13),
        ("questionnaire", 7),
        ("appointment", 9),
        ("phone-message", 8),
    )
    TYPE_POOLS: ClassVar[dict[str, tuple[tuple[str, int], ...] | None]] = {
        "message": None,  # by inbox weight
        "renewal": (
            ("hs-fjordvik-legesenter", 5),
            ("hs-bakkegata", 4),
            ("hs-midtby-medpol", 1),
            ("hs-fjordvik-psyk", 1),
        ),
        "result": (("hs-fjordvik-legesenter", 5), ("hs-bakkegata", 4), ("hs-midtby-medpol", 2), ("hs-midtby-barn", 1)),
        "questionnaire": (
            ("hs-midtby-medpol", 3),
            ("hs-midtby-ortopedi", 2),
            ("hs-midtby-barn", 1),
            ("hs-fjordvik-legesenter", 1),
        ),
        "appointment": (
            ("hs-midtby-pasientkontor", 3),
            ("hs-fjordvik-legesenter", 2),
            ("hs-bakkegata", 2),
            ("hs-fjordvik-fysio", 2),
            ("hs-fjordvik-fysio-eira", 1),
        ),
        "phone-message": (
            ("hs-fjordvik-sentralbord", 4),
            ("hs-fjordvik-legesenter-sekretaer", 3),
            ("hs-midtby-pasientkontor", 2),
            ("hs-fjordvik-hjemme", 2),
        ),
    }

    def pick_weighted(self, items: tuple[tuple[str, int], ...]) -> str:
        total = sum(w for _, w in items)
        r = self.rng.random() * total
        for v, w in items:
            r -= w
            if r < 0:
                return v
        return items[-1][0]

    def rich_patient_for(self, pool: _Pool, need_meds: bool = False) -> int | None:
        rich = self.rich_patients
        cands = [
            i
            for i in range(rich)
            if (pool.ib.office is None or self.pat_office[i] == pool.ib.office)
            and (not pool.ib.children or self.pat_age[i] < 18)
            and (not need_meds or self.meds_of.get(i))
        ]
        if not cands:
            return None
        return cands[int(self.rng.random() * len(cands))]

    def rich_tasks(self, n: int) -> Iterator[Resource]:
        rng = self.rng
        for t in range(n):
            if t < len(self.SCRIPT):
                ttype, pool_id, pi, status, extra = self.SCRIPT[t]
                pool = self.pools[pool_id]
            else:
                ttype = self.pick_weighted(self.TYPE_WEIGHTS)
                pools = self.TYPE_POOLS[ttype]
                pool = (
                    self.pools[self.pick_weighted(pools)]
                    if pools
                    else self.pool_table[int(rng.random() * len(self.pool_table))]
                )
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
            notes: list[tuple[str | None, str]] = []
            if extra.get("note"):
                notes.append((st[4] or pool.members[0], extra["note"]))
            if st[1] == "escalated":
                notes.append(
                    (
                        None,
                        f"Flyttet automatisk av sikkerhetsnettet: ikke åpnet i {pool.ib.name} "
                        f"innen {pool.ib.delay_min // 60} timer.",
                    )
                )
            elif st[1] == "forwarded" and st[4] is None:
                notes.append((None, "Videresendt fra sentralbordet."))
            elif st[1] == "forwarded":
                notes.append((pool.members[0], "Videresendt til deg: kan du ta denne?"))
            if rng.random() < 0.2 and pool.members:
                notes.append(
                    (
                        pool.members[int(rng.random() * len(pool.members))],
                        texts.INTERNAL_NOTES[int(rng.random() * len(texts.INTERNAL_NOTES))],
                    )
                )
            if notes:
                task["note"] = []
                for j, (author, text) in enumerate(notes):
                    note: Resource = {"text": text, "time": self.clock.at(max(k - 1 - j * max(k // 4, 1), 1))}
                    if author:
                        note["authorReference"] = _ref(author)
                    task["note"].append(note)
            yield task
