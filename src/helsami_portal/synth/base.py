"""The generator's state and its first steps: ids, the inboxes' pools and deadlines, the questionnaire."""

from __future__ import annotations

import datetime as dt
import random

from .clock import _Clock
from .common import (
    FUTURE_DAYS,
    QUESTIONNAIRE_URL,
    Resource,
    _lean_texts,
    _phone_texts,
    _Pool,
)
from .model import (
    DEMO_PATIENTS,
    INBOX,
    INBOXES,
    STAFF,
)


class _Base:
    def __init__(self, patients: int, tasks: int, seed: int, now: dt.datetime):
        self.n_patients = max(int(patients), len(DEMO_PATIENTS) + 2)
        self.n_tasks = max(int(tasks), 0)
        self.rng = random.Random(seed)
        self.seed = seed
        # National ids encode the birth date, so drawing one takes a number of tries that depends on
        # the reference time: they get their own stream, and the rest of the data stays the same
        # whatever day it is drawn on.
        self.fnr_rng = random.Random(f"fnr:{seed}")
        self.clock = _Clock(now)
        self.seq: dict[str, int] = {}

    def next_id(self, prefix: str, width: int) -> str:
        n = self.seq.get(prefix, 0) + 1
        self.seq[prefix] = n
        return f"{prefix}-{n:0{width}d}"

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

    def questionnaire(self) -> Resource:
        return {
            "resourceType": "Questionnaire",
            "id": "questionnaire-forhandsskjema",
            "url": QUESTIONNAIRE_URL,
            "status": "active",
            "title": "Før timen: spørsmål om infeksjon",
            "subjectType": ["Patient"],
            "item": [
                {"linkId": "feber", "text": "Har du feber (over 38 °C)?", "type": "boolean"},
                {"linkId": "temperatur", "text": "Høyeste målte temperatur (°C)", "type": "decimal"},
                {"linkId": "hoste", "text": "Har du hoste?", "type": "boolean"},
                {
                    "linkId": "hoste-uker",
                    "text": "Hvor mange uker har du hostet?",
                    "type": "integer",
                    "enableWhen": [{"question": "hoste", "operator": "=", "answerBoolean": True}],
                },
                {
                    "linkId": "reise",
                    "text": "Har du vært på reise utenfor Norden de siste 14 dagene?",
                    "type": "boolean",
                },
                {"linkId": "blodfortynnende", "text": "Bruker du blodfortynnende medisiner?", "type": "boolean"},
                {"linkId": "annet", "text": "Er det noe annet du vil at vi skal vite før timen?", "type": "string"},
            ],
        }
