"""The patient-education library (issue 17): managing it, its limits, sending its documents with a
reply, and the patient's `/patient/documents` with its access rules and access log."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

from helsami_portal.fhir import conventions as c
from helsami_portal.synth.library import minimal_pdf

from .conftest import Api, new_thread, task_for_thread

GP = "hs-fjordvik-legesenter"
OTHER = "hs-bakkegata"


def _doc(
    title: str,
    data: bytes,
    *,
    ctype: str = "text/plain",
    lang: str = "nb",
    topic: str = "diabetes",
    service: str = GP,
    status: str = "current",
) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "status": status,
        "extension": [{"url": c.EXT_LIBRARY_SERVICE, "valueReference": {"reference": f"HealthcareService/{service}"}}],
        "category": [{"coding": [{"system": c.EDU_TOPIC, "code": topic}]}],
        "content": [
            {
                "attachment": {
                    "contentType": ctype,
                    "language": lang,
                    "title": title,
                    "data": base64.b64encode(data).decode(),
                }
            }
        ],
    }


def _reason(r: Any) -> str:
    return str(r.json()["issue"][0]["details"]["coding"][0]["code"])


def _put(api: Api, doc: dict[str, Any], body: dict[str, Any]) -> Any:
    return api.http.put(
        f"/fhir/DocumentReference/{doc['id']}",
        json=body,
        headers=api.h(**{"If-Match": f'W/"{doc["meta"]["versionId"]}"'}),
    )


def test_library_documents_are_managed_by_it_support_and_the_services_library_editor(sign_in: Any) -> None:
    it, editor, lege, pas = sign_in("it"), sign_in("sykepleier"), sign_in("lege"), sign_in("pasient")
    body = _doc(f"Søvnråd {uuid.uuid4().hex[:6]}", b"Legg deg til faste tider.\n", topic="mental-health")
    # A clinician without the duty, and a patient, may not.
    r = lege.post("/fhir/DocumentReference", json=body)
    assert r.status_code == 403 and _reason(r) == "role-not-allowed"
    assert pas.post("/fhir/DocumentReference", json=body).status_code == 403
    # The nurse keeps the library of the GP office she works in, not another service's.
    r = editor.post("/fhir/DocumentReference", json=_doc("Fremmed", b"x", service=OTHER))
    assert r.status_code == 403 and _reason(r) == "not-inbox-member"
    r = editor.post("/fhir/DocumentReference", json=body)
    assert r.status_code == 201, r.text
    doc = r.json()
    att = doc["content"][0]["attachment"]
    raw = b"Legg deg til faste tider.\n"
    assert "data" not in att and att["size"] == len(raw) and att["url"].startswith("Binary/")
    assert att["hash"] == base64.b64encode(hashlib.sha1(raw).digest()).decode()
    assert att["language"] == "nb" and att["contentType"] == "text/plain"
    assert doc["extension"][0]["valueReference"]["reference"] == f"HealthcareService/{GP}"
    assert doc["custodian"]["reference"].startswith("Organization/")
    # IT support manages any service's library; the bytes are a Binary any staff member may read.
    other = it.post("/fhir/DocumentReference", json=_doc("Bakkegata-info", b"Hei.\n", service=OTHER))
    assert other.status_code == 201, other.text
    binary = lege.get(f"/fhir/{att['url']}")
    assert binary.status_code == 200 and base64.b64decode(binary.json()["data"]) == raw
    # Search by words of the title and by topic; a patient may not search the staff API.
    title_word = body["content"][0]["attachment"]["title"].split()[1]
    found = lege.get("/fhir/DocumentReference", params={"title": title_word}).json()["entry"]
    assert [e["resource"]["id"] for e in found] == [doc["id"]]
    by_topic = lege.get("/fhir/DocumentReference", params={"category": "mental-health", "service": GP}).json()
    assert doc["id"] in {e["resource"]["id"] for e in by_topic["entry"]}
    assert pas.get("/fhir/DocumentReference", params={"title": "x"}).status_code == 403
    # Update (If-Match) and retire (status superseded); the lege may not.
    change = _doc("Søvnråd for voksne", raw, topic="mental-health")
    del change["content"][0]["attachment"]["data"]
    assert _put(lege, doc, {**change, "status": "superseded"}).status_code == 403
    r = _put(editor, doc, change)
    assert r.status_code == 200, r.text
    assert r.json()["content"][0]["attachment"]["title"] == "Søvnråd for voksne"
    assert r.json()["content"][0]["attachment"]["url"] == att["url"]  # no new bytes: the same Binary
    assert _put(editor, doc, change).status_code == 412  # the version read is stale now
    retired = _put(it, r.json(), {**change, "status": "superseded"})
    assert retired.status_code == 200 and retired.json()["status"] == "superseded"
    current = lege.get("/fhir/DocumentReference", params={"title": "søvnråd", "status": "current"}).json()
    assert doc["id"] not in {e["resource"]["id"] for e in current.get("entry", [])}


def test_the_server_checks_size_type_and_content_of_a_document(sign_in: Any) -> None:
    it = sign_in("it")
    cases = [
        (_doc("Bilde", b"\x89PNG\r\n", ctype="image/png"), 415, "document-type-not-allowed"),
        (_doc("Falsk PDF", b"<html>hei</html>", ctype="application/pdf"), 422, "document-content-mismatch"),
        (_doc("Latin-1", "blåbær".encode("latin-1")), 422, "document-content-mismatch"),
        (_doc("", b"tekst"), 400, "document-invalid"),
        (_doc("Uten emne", b"tekst", topic="astrology"), 400, "document-topic-unknown"),
        (_doc("Språk", b"tekst", lang="Norsk!"), 400, "document-invalid"),
        (_doc("Stort", b"a" * (5_000_000 + 1)), 413, "document-too-large"),
    ]
    bad64 = _doc("Ødelagt", b"x")
    bad64["content"][0]["attachment"]["data"] = "!!!not base64!!!"
    cases.append((bad64, 400, "document-data-invalid"))
    for body, status, reason in cases:
        r = it.post("/fhir/DocumentReference", json=body)
        assert (r.status_code, _reason(r)) == (status, reason), (
            body["content"][0]["attachment"]["title"],
            r.text[:300],
        )
    # A body beyond what a 5 MB document needs is cut off as it streams, before it is read whole.
    r = it.post(
        "/fhir/DocumentReference",
        content=b"{" + b" " * 7_000_000 + b"}",
        headers={"Content-Type": "application/fhir+json"},
    )
    assert r.status_code == 413 and _reason(r) == "body-too-large"
    # A real PDF passes, and so does a 5 MB one.
    pdf = minimal_pdf("Test", ["En linje"])
    assert it.post("/fhir/DocumentReference", json=_doc("PDF", pdf, ctype="application/pdf")).status_code == 201
    big = it.post("/fhir/DocumentReference", json=_doc("Stor tekst", b"a" * 5_000_000))
    assert big.status_code == 201, big.text[:300]


def test_the_seed_has_a_library_in_both_languages_with_a_valid_pdf(sign_in: Any) -> None:
    lege = sign_in("lege")
    docs = [
        e["resource"]
        for e in lege.get("/fhir/DocumentReference", params={"service": GP, "_count": "100"}).json()["entry"]
    ]
    seeded = {d["id"]: d for d in docs if d["id"].startswith("doc-")}
    langs = {d["content"][0]["attachment"]["language"] for d in seeded.values()}
    assert {"nb", "en"} <= langs
    pdf = next(d for d in seeded.values() if d["content"][0]["attachment"]["contentType"] == "application/pdf")
    raw = base64.b64decode(lege.get(f"/fhir/{pdf['content'][0]['attachment']['url']}").json()["data"])
    assert raw.startswith(b"%PDF-1.4") and raw.rstrip().endswith(b"%%EOF")
    assert len(raw) == pdf["content"][0]["attachment"]["size"]
    # The cross-reference table points at each object.
    xref = int(raw[raw.rindex(b"startxref") + 9 :].split()[0])
    assert raw[xref : xref + 4] == b"xref"
    assert any(d["status"] == "superseded" for d in seeded.values())


def _reply_with(lege: Api, task: dict[str, Any], text: str, docs: list[str]) -> Any:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "text", "valueString": text},
            {"name": "messageId", "valueString": str(uuid.uuid4())},
            *[{"name": "attachment", "valueReference": {"reference": f"DocumentReference/{d}"}} for d in docs],
        ],
    }
    return lege.post(
        f"/fhir/Task/{task['id']}/$reply", json=body, headers={"If-Match": f'W/"{task["meta"]["versionId"]}"'}
    )


def test_a_reply_carries_library_documents_to_the_patient(sign_in: Any) -> None:
    pas, lege, other = sign_in("pasient"), sign_in("lege"), sign_in("pasient2")
    thread = new_thread(pas, GP, subject="Blodtrykk", text="Hvordan måler jeg blodtrykket?")["thread"]
    task = task_for_thread(lege, thread["id"])
    claimed = lege.op(task, "claim")
    assert claimed.status_code == 200, claimed.text
    task = claimed.json()
    # Retired, unknown or too many documents are refused, and nothing is sent.
    r = _reply_with(lege, task, "Se vedlegg.", ["doc-0006"])
    assert r.status_code == 409 and _reason(r) == "document-retired"
    r = _reply_with(lege, task, "Se vedlegg.", ["nope"])
    assert r.status_code == 422 and _reason(r) == "document-not-in-library"
    r = _reply_with(lege, task, "Se vedlegg.", ["doc-0001"] * 11)
    assert r.status_code == 400 and _reason(r) == "too-many-attachments"
    r = _reply_with(lege, task, "Her er en brosjyre og et kostholdsråd.", ["doc-0001", "doc-0003"])
    assert r.status_code == 200, r.text
    msg = next(p["resource"] for p in r.json()["parameter"] if p["name"] == "message")
    atts = [x["contentAttachment"] for x in msg["payload"] if "contentAttachment" in x]
    assert [a["title"] for a in atts] == ["Blodtrykksmåling hjemme", "Kosthold ved diabetes type 2"]
    # The patient's thread shows them as attachments with a download address.
    seen = pas.get(f"/patient/threads/{thread['id']}").json()["messages"][-1]
    shown = [x["contentAttachment"] for x in seen["payload"] if "contentAttachment" in x]
    assert [a["title"] for a in shown] == ["Blodtrykksmåling hjemme", "Kosthold ved diabetes type 2"]
    assert all(a["url"].startswith("/patient/documents/") and "size" in a for a in shown)
    # /patient/documents lists what was sent; the download has the bytes, type and name.
    listed = pas.get("/patient/documents").json()["entry"]
    urls = {e["resource"]["content"][0]["attachment"]["url"] for e in listed}
    assert {a["url"] for a in shown} <= urls
    pdf_url = shown[1]["url"]
    dl = pas.get(pdf_url)
    assert dl.status_code == 200 and dl.content.startswith(b"%PDF-")
    assert dl.headers["content-type"] == "application/pdf"
    assert dl.headers["cache-control"] == "no-store"
    assert dl.headers["content-disposition"].startswith('attachment; filename="Kosthold ved diabetes type 2.pdf"')
    text = pas.get(shown[0]["url"])
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.text.startswith("Blodtrykksmåling hjemme")
    # The download is in the patient's access log.
    log = pas.get("/patient/access-log").json()["entries"]
    assert any(e["what"] == "Åpnet dokumenter sendt til deg." and e["who"] == "Deg selv" for e in log[:5])
    # Another patient gets the answer for an id that does not exist; the attempt is logged.
    refused = other.get(pdf_url)
    assert refused.status_code == 404 and _reason(refused) == "not-found"
    assert other.get("/patient/documents").json().get("entry", []) == [] or all(
        e["resource"]["content"][0]["attachment"]["url"] not in urls
        for e in other.get("/patient/documents").json().get("entry", [])
    )
    log = pas.get("/patient/access-log").json()["entries"]
    assert any(not e["granted"] and e["who"] == "En annen HelsaMi-bruker" for e in log[:5])
    # The clinician reading the thread sees the attachments on the message.
    items = lege.get(f"/fhir/Communication/{msg['id']}").json()
    assert any("contentAttachment" in x for x in items["payload"])
    # $message carries documents the same way.
    task = next(p["resource"] for p in r.json()["parameter"] if p["name"] == "task")
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "text", "valueString": "Og øvelsene."},
            {"name": "messageId", "valueString": str(uuid.uuid4())},
            {"name": "attachment", "valueReference": {"reference": "DocumentReference/doc-0004"}},
        ],
    }
    more = lege.post(
        f"/fhir/Task/{task['id']}/$message", json=body, headers={"If-Match": f'W/"{task["meta"]["versionId"]}"'}
    )
    assert more.status_code == 200, more.text
    titles = [e["resource"]["description"] for e in pas.get("/patient/documents").json()["entry"]]
    assert titles[0] == "Øvelser for korsryggen"


def test_patients_cannot_upload_attachments(sign_in: Any) -> None:
    """Nothing a patient sends reaches staff but its text: an attachment in the body is not kept."""
    pas, lege = sign_in("pasient"), sign_in("lege")
    me = pas.get("/patient/me").json()
    r = pas.post(
        "/patient/threads",
        json={
            "patient": me["actsFor"][0]["patient"].split("/")[1],
            "service": GP,
            "subject": "Bilde",
            "text": "Se bildet",
            "messageId": str(uuid.uuid4()),
            "payload": [{"contentAttachment": {"contentType": "image/png", "data": "iVBORw0KGgo="}}],
        },
    )
    assert r.status_code == 201
    assert all("contentAttachment" not in x for x in r.json()["message"]["payload"])
    tid = r.json()["thread"]["id"]
    task_for_thread(lege, tid)  # the item that gives the clinician the care relation
    msgs = lege.get("/fhir/Communication", params={"part-of": f"Communication/{tid}"}).json()["entry"]
    assert msgs and all("contentAttachment" not in x for m in msgs for x in m["resource"].get("payload", []))
    assert all("iVBORw0KGgo" not in str(m) for m in msgs)


def test_a_proxy_gets_the_documents_of_the_child_and_staff_need_a_care_relation(sign_in: Any) -> None:
    proxy, lege, lege2 = sign_in("fullmakt"), sign_in("lege"), sign_in("lege2")
    acts = proxy.get("/patient/me").json()["actsFor"]
    child = next(a for a in acts if a["level"] in ("full", "messages"))
    pid = child["patient"].split("/")[1]
    r = proxy.post(
        "/patient/threads",
        json={
            "patient": pid,
            "service": GP,
            "subject": "Astma hos barnet",
            "text": "Har dere noe å lese?",
            "messageId": str(uuid.uuid4()),
        },
    )
    assert r.status_code == 201, r.text
    task = lege.op(task_for_thread(lege, r.json()["thread"]["id"]), "claim").json()
    sent = _reply_with(lege, task, "Her er et skriv.", ["doc-0002"])
    assert sent.status_code == 200, sent.text
    docs = proxy.get("/patient/documents", params={"patient": pid}).json()["entry"]
    assert [d["resource"]["description"] for d in docs][:1] == ["Living with type 2 diabetes"]
    assert docs[0]["resource"]["content"][0]["attachment"]["language"] == "en"
    dl = proxy.get(docs[0]["resource"]["content"][0]["attachment"]["url"])
    assert dl.status_code == 200 and dl.text.startswith("Living with type 2 diabetes")
    assert "filename*=UTF-8''Living%20with%20type%202%20diabetes.txt" in dl.headers["content-disposition"]
    # Staff: the copies are the child's data, read with a care relation and logged.
    mine = lege.get("/fhir/DocumentReference", params={"patient": f"Patient/{pid}"})
    assert mine.status_code == 200 and any(
        e["resource"]["id"] == docs[0]["resource"]["id"] for e in mine.json()["entry"]
    )
    other = lege2.get("/fhir/DocumentReference", params={"patient": f"Patient/{pid}"})
    assert other.status_code == 403 and _reason(other) == "no-care-relation"


def test_a_hostile_title_reaches_no_header_or_file_name(sign_in: Any, blns: list[str]) -> None:
    """Review: the download's filename* carried a title's slashes, escape codes and bidi overrides as
    they were; a title with control characters was accepted. Every BLNS string either makes a
    document or is refused with a 4xx."""
    from urllib.parse import unquote

    it, pas, lege = sign_in("it"), sign_in("pasient"), sign_in("lege")
    for title in ("\x1b[31mrød", "Linje\x0bto", "Slett\x7f", "C1\x9b2J"):
        r = it.post("/fhir/DocumentReference", json=_doc(title, b"tekst"))
        assert r.status_code == 400 and _reason(r) == "document-invalid", (title, r.text[:200])
    for title in blns[:120]:  # the Big List of Naughty Strings (tests/conftest.py finds it)
        r = it.post("/fhir/DocumentReference", json=_doc(title, b"tekst"))
        assert r.status_code in (201, 400), (title, r.status_code, r.text[:200])
    hostile = ["../../etc/passwd", "..\\..\\boot.ini", 'x"; filename=evil.exe', "\u202egnp.exe", ".hidden/../a"]
    ids = []
    for title in hostile:
        r = it.post("/fhir/DocumentReference", json=_doc(title, b"tekst"))
        assert r.status_code == 201, r.text[:200]
        ids.append(r.json()["id"])
    thread = new_thread(pas, GP, subject="Vedlegg", text="Noe å lese?")["thread"]
    task = lege.op(task_for_thread(lege, thread["id"]), "claim").json()
    assert _reply_with(lege, task, "Se vedlegg.", ids).status_code == 200
    sent = pas.get("/patient/documents").json()["entry"][: len(hostile)]
    assert {e["resource"]["description"] for e in sent} == set(hostile)  # the titles themselves are kept
    for e in sent:
        header = pas.get(e["resource"]["content"][0]["attachment"]["url"]).headers["content-disposition"]
        plain, _, encoded = header.partition("; filename*=UTF-8''")
        assert plain.startswith('attachment; filename="') and plain.count('"') == 2, header
        assert all(ch.isascii() and ch.isprintable() for ch in header), header
        name = unquote(encoded)
        assert "/" not in name and "\\" not in name and not name.startswith("."), header
        assert all(
            ch.isprintable() and ch not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" for ch in name
        )
        assert name.endswith(".txt") and "/" not in encoded and "\\" not in plain, header


def _pdf_with(extra_object: bytes, *, compress: bool = False) -> bytes:
    """A small PDF whose catalog carries `extra_object` (in the clear, or inside a Flate stream)."""
    import zlib

    body = (
        extra_object
        if not compress
        else (
            b"<< /Type /ObjStm /Filter /FlateDecode /Length "
            + str(len(zlib.compress(extra_object))).encode()
            + b" >>\nstream\n"
            + zlib.compress(extra_object)
            + b"\nendstream"
        )
    )
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] "
        b"/Count 0 >>\nendobj\n3 0 obj\n" + body + b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def test_a_pdf_with_active_content_is_refused(sign_in: Any) -> None:
    """Review: any bytes beginning with %PDF- were accepted, so a library PDF could carry JavaScript,
    a launch action or an embedded file to every patient it is sent to."""
    it = sign_in("it")
    hostile = [
        _pdf_with(b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>"),
        _pdf_with(b"<< /Type /Action /S /Launch /F (cmd.exe) >>"),
        _pdf_with(b"<< /Type /EmbeddedFile /Length 3 >>"),
        _pdf_with(b"<< /S /#4Aava#53cript /JS (x) >>"),  # a name written with #hex escapes
        _pdf_with(b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>", compress=True),
    ]
    for pdf in hostile:
        r = it.post("/fhir/DocumentReference", json=_doc("Aktivt innhold", pdf, ctype="application/pdf"))
        assert r.status_code == 422 and _reason(r) == "document-active-content", r.text[:300]
    plain = it.post(
        "/fhir/DocumentReference",
        json=_doc("Vanlig PDF", _pdf_with(b"<< /Producer (HelsaMi) >>"), ctype="application/pdf"),
    )
    assert plain.status_code == 201, plain.text[:300]
    seeded = it.post(
        "/fhir/DocumentReference", json=_doc("PDF", minimal_pdf("Test", ["En linje"]), ctype="application/pdf")
    )
    assert seeded.status_code == 201


def _draft_entry(ref: str, **att: Any) -> dict[str, Any]:
    return {
        "extension": [{"url": c.EXT_FROM_LIBRARY, "valueReference": {"reference": ref}}],
        "contentAttachment": att or {"title": "?"},
    }


def _draft(thread_id: str, text: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Communication",
        "status": "preparation",
        "partOf": [{"reference": f"Communication/{thread_id}"}],
        "payload": [{"contentString": text}, *entries],
    }


def _put_draft(api: Api, draft: dict[str, Any], body: dict[str, Any]) -> Any:
    return api.http.put(
        f"/fhir/Communication/{draft['id']}",
        json={**body, "id": draft["id"]},
        headers=api.h(**{"If-Match": f'W/"{draft["meta"]["versionId"]}"'}),
    )


def _draft_titles(r: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (x["extension"][0]["valueReference"]["reference"], x["contentAttachment"]["title"])
        for x in r["payload"]
        if "contentAttachment" in x
    ]


def test_a_draft_keeps_its_library_documents_checked_as_a_sent_reply_and_the_reply_sends_them_once(
    sign_in: Any,
) -> None:
    pas, lege = sign_in("pasient"), sign_in("lege")
    thread = new_thread(pas, GP, subject="Utkast med vedlegg", text="Har dere noe å lese?")["thread"]
    # A draft with two library documents keeps them, in the form a sent reply carries them; what the
    # body says of a document is replaced by the library's own title, type and size.
    r = lege.post(
        "/fhir/Communication",
        json=_draft(
            thread["id"],
            "To brosjyrer.",
            _draft_entry("DocumentReference/doc-0001", title="[red]falsk[/]", size=1),
            _draft_entry("DocumentReference/doc-0003"),
        ),
    )
    assert r.status_code == 201, r.text
    draft = r.json()
    assert _draft_titles(draft) == [
        ("DocumentReference/doc-0001", "Blodtrykksmåling hjemme"),
        ("DocumentReference/doc-0003", "Kosthold ved diabetes type 2"),
    ]
    assert all(x["contentAttachment"]["size"] > 1 for x in draft["payload"][1:])
    reread = lege.get(f"/fhir/Communication/{draft['id']}").json()
    assert _draft_titles(reread) == _draft_titles(draft)
    # The checks of a sent reply: retired, unknown, too many, or an attachment that names no library
    # document (bytes of its own) are refused, on create and on update; the draft is not changed.
    for entries, status, reason in (
        ([_draft_entry("DocumentReference/doc-0006")], 409, "document-retired"),
        ([_draft_entry("DocumentReference/nope")], 422, "document-not-in-library"),
        ([_draft_entry("DocumentReference/doc-0001")] * 11, 400, "too-many-attachments"),
        ([{"contentAttachment": {"title": "x.exe", "data": "TVqQAAMAAAAEAAAA"}}], 422, "document-not-in-library"),
    ):
        made = lege.post("/fhir/Communication", json=_draft(thread["id"], "Nei.", *entries))
        assert (made.status_code, _reason(made)) == (status, reason), made.text
        changed = _put_draft(lege, draft, _draft(thread["id"], "Nei.", *entries))
        assert (changed.status_code, _reason(changed)) == (status, reason), changed.text
    assert _draft_titles(lege.get(f"/fhir/Communication/{draft['id']}").json()) == _draft_titles(draft)
    # An update changes the documents (one taken off, another added).
    r = _put_draft(
        lege,
        draft,
        _draft(
            thread["id"],
            "To brosjyrer.",
            _draft_entry("DocumentReference/doc-0003"),
            _draft_entry("DocumentReference/doc-0001"),
        ),
    )
    assert r.status_code == 200, r.text
    assert [ref for ref, _ in _draft_titles(r.json())] == ["DocumentReference/doc-0003", "DocumentReference/doc-0001"]
    # The patient sees no draft and no document before the reply is sent.
    assert all("To brosjyrer" not in str(m) for m in pas.get(f"/patient/threads/{thread['id']}").json()["messages"])
    # Sent (the client names the draft's documents again): each reaches the patient once, the draft is closed.
    task = lege.op(task_for_thread(lege, thread["id"]), "claim").json()
    sent = _reply_with(lege, task, "To brosjyrer.", ["doc-0003", "doc-0001", "doc-0003"])
    assert sent.status_code == 200, sent.text
    seen = [m for m in pas.get(f"/patient/threads/{thread['id']}").json()["messages"] if "To brosjyrer" in str(m)]
    assert len(seen) == 1
    assert [x["contentAttachment"]["title"] for x in seen[0]["payload"] if "contentAttachment" in x] == [
        "Kosthold ved diabetes type 2",
        "Blodtrykksmåling hjemme",
    ]
    assert lege.get(f"/fhir/Communication/{draft['id']}").json()["status"] == "stopped"
