"""Code systems, extension URLs and identifier systems of the portal's FHIR API.

The same values are documented in docs/api.md, which is the contract clients rely on.
"""

from __future__ import annotations

BASE = "https://helsami.example/fhir"

TASK_TYPE = f"{BASE}/CodeSystem/task-type"
TASK_TYPES = ("message", "renewal", "result", "questionnaire", "appointment", "phone-message")

TASK_BUSINESS_STATUS = f"{BASE}/CodeSystem/task-business-status"
BUSINESS_STATUSES = ("new", "opened", "claimed", "forwarded", "escalated", "replied", "done")
# Set by the decision operations (workflow.renewals, workflow.results, workflow.visits).
DECISION_STATUSES = ("approved", "denied", "pended", "waiting-for-patient", "released", "reviewed", "confirmed",
                     "time-proposed", "declined")

COMM_CATEGORY = f"{BASE}/CodeSystem/communication-category"
COMM_CATEGORIES = ("thread", "patient-message", "staff-reply", "phone-message", "system")

MEDIUM_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
MEDIUM_PORTAL = "ELECTRONIC"
MEDIUM_PHONE = "PHONE"

FNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"
HPR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.4"
ORGNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.101"
CLIENT_MESSAGE_ID = f"{BASE}/NamingSystem/client-message-id"
USERNAME_SYSTEM = f"{BASE}/NamingSystem/username"

EXT_BACKUP_INBOX = f"{BASE}/StructureDefinition/backup-inbox"
EXT_SAFETY_NET_DELAY = f"{BASE}/StructureDefinition/safety-net-delay"
EXT_RESPONSE_TIME = f"{BASE}/StructureDefinition/response-time"
EXT_WORKING_TIME = f"{BASE}/StructureDefinition/counts-working-time"
EXT_RELEASE_CATEGORY = f"{BASE}/StructureDefinition/release-category"
RELEASE_CATEGORIES = ("auto", "clinician-or-14d", "clinician-only", "never-online")
# When a clinician released a result to the patient (DiagnosticReport.extension, valueDateTime).
EXT_RELEASED_AT = f"{BASE}/StructureDefinition/released-at"

INBOX_KIND = f"{BASE}/CodeSystem/inbox-kind"
INBOX_KINDS = ("clinical", "intake", "direct")

STAFF_ROLE = f"{BASE}/CodeSystem/staff-role"
STAFF_ROLES = ("physician", "nurse", "switchboard", "it-support", "privacy-officer")

PRIORITY_RANK = {"stat": 0, "asap": 1, "urgent": 2, "routine": 3}

# Task.status values used by the inbox.
STATUS_WAITING = "requested"
STATUS_CLAIMED = "in-progress"
STATUS_DONE = "completed"
STATUS_CANCELLED = "cancelled"
OPEN_STATUSES = (STATUS_WAITING, STATUS_CLAIMED)

# The inbox an item belongs to while a person holds it (Task.extension, valueReference).
EXT_TASK_POOL = f"{BASE}/StructureDefinition/task-pool"
# Set on a Task moved by the safety net (valueBoolean) and counted as escalated for staff.
EXT_ESCALATED = f"{BASE}/StructureDefinition/escalated"
