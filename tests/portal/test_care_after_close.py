"""A closed inbox item stays a care relation of the staff member who held it, for a while.

The clinician who confirmed an appointment, answered a message or released a result must be able to
read what was done and follow it up (the decision message in the thread, the patient's record); the
rest of the inbox loses the relation when the item closes, and the handler loses it after
`care.RECENT_ITEM`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from helsami_portal.fhir import timeutil
from helsami_portal.workflow.care import RECENT_ITEM

from .test_access_leaks import LEGE, POOL, make_patient, medication, task


def hold(portal: Any, tid: str, who: str, status: str, *, ago: dt.timedelta = dt.timedelta(0)) -> None:
    """`who` holds the item in `status`, since `ago`."""
    with portal.store.write() as tx:
        tx.now = timeutil.instant(timeutil.utcnow() - ago)
        t = tx.require("Task", tid)
        t["owner"] = {"reference": who}
        t["status"] = status
        tx.update(t, expected_version=int(t["meta"]["versionId"]))


def test_the_handler_of_a_closed_item_keeps_access_and_the_pool_does_not(portal: Any, sign_in: Any) -> None:
    pid = make_patient(portal, gp=None)
    mr = medication(portal, pid)
    tid = task(portal, pid, POOL, "renewal", f"MedicationRequest/{mr}", "Fornyelse")
    lege, nurse = sign_in("lege"), sign_in("sykepleier")
    # Open in the shared inbox: both members may read.
    assert lege.get(f"/fhir/Patient/{pid}").status_code == 200
    assert nurse.get(f"/fhir/Patient/{pid}").status_code == 200
    # The physician completed it: the physician still may, the colleague no longer.
    hold(portal, tid, LEGE, "completed")
    assert lege.get(f"/fhir/Patient/{pid}").status_code == 200
    assert lege.get(f"/fhir/MedicationRequest/{mr}").status_code == 200
    assert nurse.get(f"/fhir/Patient/{pid}").status_code == 403
    # Past the follow-up window the handler's relation ends too.
    hold(portal, tid, LEGE, "completed", ago=RECENT_ITEM + dt.timedelta(days=1))
    assert lege.get(f"/fhir/Patient/{pid}").status_code == 403
