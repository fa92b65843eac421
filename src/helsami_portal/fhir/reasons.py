"""The portal's refusal reasons: one table of the stable codes a client can translate.

Every `FhirError` the portal raises names one of these codes (`reason=`), with the arguments
listed here (`args=`); `tests/portal/test_reasons.py` checks both, and that docs/api.md lists every
code. Arguments travel as `OperationOutcome.issue.extension` (see `outcome.py`): a reference
(`who`, `item`, `patient`, `target`) as `valueReference` with a display where the portal knows one,
an instant (`when`) as `valueInstant`, a number as `valueInteger`, anything else as `valueString`.
Never put patient names or other patient data into an argument: references to patients carry no
display.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

# code -> (arguments it may carry, what it means). Add new codes here and to docs/api.md.
REASONS: dict[str, tuple[tuple[str, ...], str]] = {
    # -- sign-in and sessions
    "sign-in-required": ((), "The request needs an access token."),
    "token-invalid": ((), "The access token is not valid (expired, revoked or not issued here)."),
    "session-ended": ((), "The session was signed out or its refresh token can no longer be used."),
    "account-inactive": ((), "The account is not active."),
    "user-unknown": ((), "The access token does not name a known user."),
    "demo-local-only": ((), "Demo sign-in is offered only to the portal's own machine."),
    # -- who may use which part
    "staff-only": ((), "This part of the API is for staff."),
    "patients-only": ((), "This part of the API is for patients and their proxies."),
    "role-not-allowed": (("roles",), "The caller's role may not do this; `roles` lists those that may."),
    "prescriber-only": ((), "Only prescribers (physicians) approve or deny renewals; others pend them."),
    "physician-only": ((), "Only physicians release test results."),
    "not-inbox-member": (("item", "inbox"), "The item or inbox belongs to an inbox the caller is not a member of."),
    "own-items-only": ((), "Only one's own personal items can be listed."),
    "self-only": ((), "Only the staff member themself can do this."),
    "draft-author-only": ((), "Drafts are visible only to their author."),
    "search-not-allowed": (("type",), "Searching this resource type is not allowed."),
    # -- need-to-know
    "no-care-relation": (("patient",), "No care relation with the patient; break the glass if needed."),
    "restricted": (("patient",), "The patient restricted (skjerming) these records to a care team."),
    "role-no-patient-data": ((), "The caller's role has no access to patient data."),
    "role-no-clinical-data": ((), "The caller's role has no access to clinical information."),
    "reason-too-short": (("min",), "A break-the-glass reason needs at least `min` characters."),
    "cannot-act-for-patient": (("patient",), "The caller cannot act for this patient."),
    "proxy-scope": (
        ("scope",),
        "The proxy access does not include this (`scope`: messages, medicines, results, access-log).",
    ),
    # -- the state of an item
    "already-completed": (("item", "who", "when"), "The item was already completed (by `who`, at `when`)."),
    "cancelled": (("item",), "The item was cancelled."),
    "claimed-by-other": (("item", "who", "when"), "Someone else (`who`) claimed the item (at `when`)."),
    "already-claimed-by-you": (("item",), "The caller already claimed the item."),
    "forwarded-to-other": (("item", "who"), "The item was sent to someone else (`who`); only they can act on it."),
    "not-claimed-by-you": (("item", "who"), "Only the one who claimed the item can put it back."),
    "no-pool": (("item",), "The item has no inbox to go back to; forward it instead."),
    "nothing-waiting": (("inbox",), "Nothing waits unclaimed in the inbox (`$claim-next`)."),
    "already-there": (("item", "target"), "The item is already with that inbox or person."),
    "claim-first": (("item", "action"), "Claim the item before doing this (`action`: complete, reply)."),
    "item-incomplete": (("item", "missing"), "The item lacks what the operation needs (`missing`)."),
    "wrong-item-type": (("item", "type", "expected"), "The operation does not apply to this type of item."),
    "already-decided": (("item", "status"), "The request was already decided."),
    "warnings-not-acknowledged": (("item", "warnings"), "Acknowledge every warning (`warnings`: codes) first."),
    "not-normal": (
        ("item", "count"),
        "Not every value of the result is normal (`count` are not); release it on its own.",
    ),
    "not-routine": (
        ("item", "reasons"),
        "Not a routine renewal by the protocol (`reasons`: codes); decide it on its own.",
    ),
    "not-a-prescriber": (("who",), "The chosen person is not a prescriber; pend renewals to a physician."),
    "never-online": (("item",), "This result is never shared online; give it in person or by letter."),
    "report-not-final": (("item", "status"), "The report is not final yet; only final results are released."),
    "already-released": (("item",), "The result was already released by a clinician."),
    "stale-version": (("item", "version", "expected"), "The resource changed since it was read; reload it."),
    "if-match-required": ((), "The change needs an If-Match header with the version read."),
    "invalid-if-match": ((), 'If-Match is not a version such as W/"3".'),
    "message-id-reused": ((), "The messageId was already used for another message."),
    "message-id-required": ((), "A client-made messageId (UUID) is required, so a retry is recognised."),
    "not-a-draft": ((), "Only drafts can be changed; this message was already sent or discarded."),
    "draft-status-invalid": ((), "A draft can only be changed (preparation) or discarded (stopped)."),
    "draft-needs-thread": ((), "A draft must belong to an existing thread."),
    "thread-no-inbox": ((), "The conversation has no inbox to reopen in."),
    "prescription-inactive": ((), "The prescription is no longer active."),
    # -- where things go
    "target-required": (("name",), "Say where the item goes (`name` is the parameter)."),
    "target-not-found": (("name", "target"), "There is no such recipient, inbox, topic or service."),
    "target-inactive": (("name", "target"), "The recipient is not active and cannot receive items."),
    "away-no-delegate": (("who",), "The person is away and has no delegate; forward to an inbox."),
    "delegate-away": (("who",), "The chosen delegate is away too."),
    "self-delegate": ((), "One cannot be one's own delegate."),
    "delegate-not-needed": ((), "A delegate is only needed while away."),
    "topic-or-service": ((), "Choose a topic or a service, not both."),
    "service-no-messages": ((), "That service does not take messages."),
    "direct-messages-not-allowed": ((), "Messages cannot be sent directly to this staff member here."),
    "practitioner-no-messages": ((), "This staff member does not take messages now."),
    "practitioner-no-inbox": ((), "That staff member works in no inbox; choose the inbox too."),
    "no-inbox-found": ((), "No inbox could be found; choose a service."),
    # -- times
    "time-of-day-required": (("name",), "The time needs a time of day, not only a date."),
    "time-in-past": (("name",), "The time has already passed."),
    "end-before-start": ((), "The end must be after the start."),
    # -- parameters and bodies
    "parameter-required": (("name",), "A required parameter is missing."),
    "parameter-repeated": (("name",), "A parameter was given more than once."),
    "parameter-not-text": (("name",), "A parameter must be text."),
    "parameter-not-number": (("name",), "A parameter must be a whole number."),
    "parameter-out-of-range": (("name", "min", "max"), "A parameter is outside its range."),
    "parameter-needs-reference": (("name", "type"), "A parameter must be a reference such as Type/<id>."),
    "invalid-parameter": (("name",), "A parameter has a value the portal does not accept."),
    "invalid-date": (("name",), "A parameter is not a FHIR date or dateTime."),
    "unknown-search-parameter": (("name",), "The search parameter is not supported."),
    "unsupported-modifier": (("name", "modifier"), "The search modifier is not supported."),
    "unsupported-sort": (("key",), "The sort key is not supported."),
    "unsupported-include": (("value",), "The _include is not supported."),
    "invalid-cursor": ((), "The paging cursor is not valid; start the search again."),
    "text-empty": (("name",), "The text is empty."),
    "text-too-long": (("name", "limit"), "The text is too long (`limit` characters at most)."),
    "text-invalid": (("name", "limit"), "The text is missing or too long."),
    "body-required": ((), "The request needs a JSON body."),
    "body-too-large": (("limit",), "The request body is too large (`limit` bytes at most)."),
    "body-not-utf8": ((), "The body is not UTF-8 text."),
    "body-not-json": (("line", "column"), "The body is not valid JSON."),
    "body-too-deep": (("limit",), "The body is nested too deeply (`limit` levels at most)."),
    "body-not-object": ((), "The body must be a JSON object."),
    "body-not-parameters": ((), "The body of an operation must be a Parameters resource."),
    "unsupported-media-type": ((), "Send JSON (application/fhir+json)."),
    "resource-type-mismatch": (("expected",), "The body's resource does not match the address."),
    "resource-type-unsupported": (("type",), "The server does not support this resource type."),
    "not-changeable": (("type",), "Resources of this type cannot be changed directly; use the operations."),
    "create-not-allowed": (("type",), "Resources of this type cannot be created through the API."),
    "unknown-operation": (("operation",), "There is no such operation here."),
    "operation-needs-get": (("operation",), "This operation is read with GET."),
    "invalid-id": ((), "That is not a valid resource id."),
    "invalid-version-id": ((), "A version id is a whole number."),
    # -- not there, not now
    "not-found": (("item",), "The resource does not exist."),
    "version-not-found": (("item", "version"), "The resource has no such version."),
    "no-such-address": (("status",), "There is nothing at this address."),
    "method-not-allowed": (("status",), "This HTTP method is not allowed here."),
    "http-error": (("status",), "The request could not be handled."),
    "unavailable": ((), "The portal (or its database) is not available right now; nothing was changed."),
    "internal-error": (("incident",), "The portal failed to handle the request; nothing was changed."),
    # -- batch Bundles (POST /fhir)
    "bundle-type-unsupported": (("type",), "Only Bundles of type batch are run (no transaction)."),
    "batch-too-large": (("limit", "count"), "A batch holds at most `limit` entries; send it in parts."),
    "batch-nested": (("index",), "A batch entry holds a Bundle; batches cannot be nested."),
    "batch-entry-invalid": (("index",), "A batch entry has no request, or Bundle.entry is not a list."),
    "batch-entry-unsupported": (("index",), "A batch entry is a POST of an operation on a Task."),
    # -- limits, sign-in throttling, items and services (issues 10, 11, 12)
    "statement-timeout": (("limit",), "The query took too long and was stopped."),
    "text-not-unicode": ((), "The text holds characters that are not valid Unicode (lone surrogates)."),
    "control-character": ((), "The text holds a control character (such as NUL) that cannot be stored."),
    "too-many-streams": (("limit", "scope"), "Too many open event streams (`scope`: user or process)."),
    "session-expired": (("limit",), "The session has reached its longest lifetime; sign in again."),
    "duplicate-sort-key": (("key",), "The sort names a key more than once."),
    "note-empty": ((), "The internal note is empty."),
    "message-empty": ((), "The message is empty."),
    "message-id-missing": ((), "The message needs a client-made messageId, so that a retry is recognised."),
    "item-not-completed": (("item", "status"), "Only a completed item can be reopened."),
    "patient-search-criteria": (("parameter",), "A patient search needs a national id, or a name with a birth date."),
    "count-too-large": (("limit",), "_count is larger than allowed (`limit` at most)."),
    "service-not-for-renewals": (("service",), "That service does not handle prescription renewals."),
    "service-not-addressable": (("service",), "That service does not take messages from patients."),
    "privacy-officer-only": ((), "Only privacy officers read the access log."),
    "restricted-record": ((), "The record (or what it belongs to) is restricted (skjerming) to a named care team."),
    "too-many-device-authorizations": (
        ("limit", "retryAfter"),
        "Too many sign-in requests from this address; try again later.",
    ),
    "too-many-code-lookups": (("limit", "retryAfter"), "Too many unknown sign-in codes tried from this address."),
    "cursor-too-large": (("limit",), "The paging cursor is too large."),
    "too-many-includes": (("limit",), "Too many _include values (`limit` at most)."),
    "include-depth": (("limit",), "_include:iterate is not supported (include depth `limit`)."),
    "too-many-parameters": (("limit",), "Too many search parameters (`limit` at most)."),
    "too-many-sort-keys": (("limit",), "Too many sort keys (`limit` at most)."),
    "too-many-values": (("limit",), "Too many values in one search parameter (`limit` at most)."),
    "value-too-long": (("limit",), "A search value is too long (`limit` characters at most)."),
    "url-too-long": (("limit",), "The request address is too long (`limit` bytes at most)."),
    "sign-in-throttled": (("limit", "retryAfter"), "Too many failed sign-ins; wait before the next try."),
    "nothing-to-cancel": (("item",), "The request has no booked time to cancel; confirm a time or decline instead."),
    "format-not-supported": (("asked",), "The server answers in JSON (application/fhir+json) only."),
    "summary-not-supported": (("value",), "This _summary is not supported; use count, data or false."),
    "unsupported-condition": ((), "If-None-Exist takes one identifier=SYSTEM|VALUE of the resource."),
    "invalid-identifier": (("max",), "The identifiers are not valid (at most `max`, each with a value)."),
    "duplicate-identifier": (("id",), "A draft with this identifier exists already."),
    # -- the document library (issue 17)
    "document-too-large": (("limit",), "The document is too large (`limit` bytes at most)."),
    "document-data-invalid": ((), "The document's bytes are missing, empty or not valid base64."),
    "document-type-not-allowed": (
        ("allowed",),
        "Library documents are of the types `allowed` (PDF or UTF-8 plain text).",
    ),
    "document-content-mismatch": (
        ("type",),
        "The bytes are not what the content type `type` says (a PDF begins with %PDF-; text is UTF-8).",
    ),
    "document-invalid": (
        ("name",),
        "A library document's element `name` is missing or not valid (title, language, content, status, service).",
    ),
    "document-topic-unknown": (("topic",), "The topic is missing or not one of the education-topic codes."),
    "document-not-in-library": (("item",), "The attachment does not name a library document."),
    "document-retired": (("item",), "The library document is retired and can no longer be sent."),
    "too-many-attachments": (("limit",), "A message carries at most `limit` documents."),
    "document-active-content": (
        ("name",),
        "The PDF has active content (`name`: a script, an action, an embedded file) and is refused.",
    ),
    "no-contact-address": (
        ("channel",),
        "The record has no address for notification channel `channel` (email or sms).",
    ),
}


def ref(r: Any, typ: str | None = None, *, display: bool = True) -> dict[str, str]:
    """A reference argument from a reference dict, a resource or a "Type/id" string.

    `display=False` for patients: their names never go into a refusal."""
    if isinstance(r, dict) and "reference" in r:
        out = {"reference": str(r.get("reference") or "")}
        if display and r.get("display"):
            out["display"] = str(r["display"])
        return out
    if isinstance(r, dict) and r.get("resourceType"):
        return {"reference": f"{r['resourceType']}/{r.get('id', '')}"}
    text = str(r or "")
    if typ and "/" not in text:
        text = f"{typ}/{text}"
    return {"reference": text}


def task_ref(t: dict[str, Any]) -> dict[str, str]:
    return {"reference": f"Task/{t.get('id', '')}"}


def instant(value: Any) -> dt.datetime | str:
    """An instant argument from an ISO text or a datetime (UTC when naive)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def when_of(t: dict[str, Any]) -> dt.datetime | str:
    """When a Task last changed, as an instant argument."""
    return instant(t.get("lastModified") or (t.get("meta") or {}).get("lastUpdated") or "")
