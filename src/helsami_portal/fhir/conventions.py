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
DECISION_STATUSES = (
    "approved",
    "denied",
    "pended",
    "waiting-for-patient",
    "released",
    "reviewed",
    "confirmed",
    "time-proposed",
    "declined",
    "cancelled",
)

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
# Duties a service can give a staff member beside their role (a further PractitionerRole.code of the
# same system): `library-editor` manages the patient-education library of the services they work in.
STAFF_DUTIES = ("library-editor",)

# The patient-education library (brosjyrer og opplæringsmateriell): DocumentReference + Binary.
DOC_CATEGORY = f"{BASE}/CodeSystem/document-category"  # "patient-education"
EDU_TOPIC = f"{BASE}/CodeSystem/education-topic"
EDU_TOPICS = (
    "diabetes",
    "blood-pressure",
    "heart",
    "lungs",
    "nutrition",
    "physical-activity",
    "medicines",
    "mental-health",
    "pregnancy-child",
    "vaccination",
    "pain",
    "general",
)
# DocumentReference.extension (valueReference HealthcareService): the service whose library holds it.
EXT_LIBRARY_SERVICE = f"{BASE}/StructureDefinition/library-service"
# On a copy sent to a patient (valueReference DocumentReference): the library document it came from;
# on a reply draft's payload contentAttachment: the library document attached to the draft.
EXT_FROM_LIBRARY = f"{BASE}/StructureDefinition/from-library"
# On a Communication.payload with a contentAttachment (valueReference DocumentReference): the patient's copy.
EXT_SENT_DOCUMENT = f"{BASE}/StructureDefinition/sent-document"

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
# Who put a Task in its current inbox (Task.extension, valueReference): a staff member who
# registered or forwarded it. Absent: the patient (Task.requester) or the portal's routing placed it.
# An item a staff member placed themself never gives them a care relation (docs/auth.md).
EXT_PLACED_BY = f"{BASE}/StructureDefinition/placed-by"
# Patient.extension, valueBoolean false: the patient has no capacity to consent (samtykkekompetanse),
# so proxy grants they give do not count (docs/auth.md, proxies).
EXT_CONSENT_CAPACITY = f"{BASE}/StructureDefinition/consent-capacity"
EXT_NOTE_KIND = f"{BASE}/StructureDefinition/note-kind"  # on Task.note: pend | reopen (none: a plain note)
