"""Synthetic patient-education documents (brosjyrer) for the services' libraries.

Written for the demo (invented advice, not from any real leaflet), in bokmål and English; plain text,
and one small PDF made here byte by byte. Deterministic for a given seed and `now`: the seed picks
only how long ago each was added. Uses a random stream of its own, so the rest of the data is the
same with or without the library.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from typing import Any

from ..fhir.conventions import DOC_CATEGORY, EDU_TOPIC, EXT_LIBRARY_SERVICE

Resource = dict[str, Any]
FMT = "%Y-%m-%dT%H:%M:%S.%fZ"


def minimal_pdf(title: str, lines: list[str]) -> bytes:
    """A valid one-page PDF 1.4 with a title and lines of text (Helvetica, WinAnsi: Norwegian letters)."""

    def esc(s: str) -> bytes:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252")

    text = [b"BT /F1 16 Tf 56 780 Td (" + esc(title) + b") Tj ET"]
    y = 750
    for line in lines:
        text.append(b"BT /F1 11 Tf 56 " + str(y).encode() + b" Td (" + esc(line) + b") Tj ET")
        y -= 16
    stream = b"\n".join(text)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title (" + esc(title) + b") /Producer (HelsaMi synthetic data) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += str(n).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n"
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        b"trailer\n<< /Size "
        + str(len(objects) + 1).encode()
        + b" /Root 1 0 R /Info 6 0 R >>\nstartxref\n"
        + str(xref).encode()
        + b"\n%%EOF\n"
    )
    return bytes(out)


_BP = """Blodtrykksmåling hjemme

Slik måler du blodtrykket riktig:
1. Sitt stille i fem minutter før du måler. Ikke drikk kaffe eller røyk den siste halvtimen.
2. Ha mansjetten på overarmen i hjertehøyde, med armen hvilende på et bord.
3. Mål to ganger om morgenen og to ganger om kvelden i sju dager. Skriv ned alle målingene.
4. Ta med deg lista til neste time, eller send tallene i en melding i HelsaMi.

Ta kontakt med legekontoret samme dag hvis det øvre tallet er over 180, eller hvis du får
brystsmerter, tungpust eller plutselig svakhet. Ring 113 ved akutt fare.

(Eksempeltekst for demonstrasjon av HelsaMi. Ikke medisinske råd.)
"""

_DIABETES_EN = """Living with type 2 diabetes

Type 2 diabetes means the body does not use insulin well, so the blood sugar rises.
Small steps help:
- Move every day: a brisk 30-minute walk counts.
- Eat regular meals with vegetables, whole grains and less sugar.
- Take your medicines as agreed, and bring your list to each visit.
- Check your feet every evening for sores or redness.
- Have your HbA1c, blood pressure and kidney tests taken as your doctor suggests.

Contact the surgery if you are often very thirsty, pass a lot of urine, or feel unwell.

(Sample text for the HelsaMi demonstration. Not medical advice.)
"""

_BACK = """Øvelser for korsryggen

Gjør øvelsene rolig, to ganger om dagen. Det skal kjennes, men ikke gjøre vondt.
1. Bekkenvipp: ligg på ryggen med bøyde knær, press korsryggen mot underlaget i fem sekunder. Ti ganger.
2. Kne mot bryst: trekk ett kne om gangen mot brystet og hold i tjue sekunder. Tre ganger hver side.
3. Katt og ku: stå på alle fire, skyt rygg og svai rolig. Ti ganger.
4. Gå en tur hver dag, gjerne litt lenger for hver uke.

Kontakt fysioterapeuten hvis smertene stråler ned i benet eller du får nummenhet.

(Eksempeltekst for demonstrasjon av HelsaMi. Ikke medisinske råd.)
"""

_BLOOD_THINNERS = """Blodfortynnende medisiner – det du bør vite

- Ta medisinen til samme tid hver dag. Har du glemt en dose, les pakningsvedlegget eller spør apoteket.
- Si alltid fra til tannlege og annet helsepersonell at du bruker blodfortynnende.
- Unngå smertestillende som ibuprofen og naproksen uten å ha snakket med legen.
- Søk hjelp straks ved blod i urin eller avføring, oppkast med blod eller kraftig hodepine.

(Eksempeltekst for demonstrasjon av HelsaMi. Ikke medisinske råd.)
"""

_FLU = """Influensavaksine sesongen 2025/26

Vaksinen anbefales for alle over 65 år og for dem med kronisk sykdom.
Denne teksten gjelder forrige sesong og er trukket tilbake.

(Eksempeltekst for demonstrasjon av HelsaMi.)
"""

_DIET_LINES = [
    "Kosthold ved diabetes type 2",
    "",
    "- Spis tre til fire måltider om dagen, til faste tider.",
    "- Fyll halve tallerkenen med grønnsaker.",
    "- Velg grove kornprodukter, fisk, bønner og linser.",
    "- Drikk vann til maten; spar brus og juice til sjeldne anledninger.",
    "- Små porsjoner søtt, og helst etter et måltid.",
    "",
    "Eksempeltekst for demonstrasjon av HelsaMi. Ikke medisinske råd.",
]

# (id, service, topic, language, title, content type, status, text or None for the PDF)
DOCUMENTS: tuple[tuple[str, str, str, str, str, str, str, str | None], ...] = (
    (
        "doc-0001",
        "hs-fjordvik-legesenter",
        "blood-pressure",
        "nb",
        "Blodtrykksmåling hjemme",
        "text/plain",
        "current",
        _BP,
    ),
    (
        "doc-0002",
        "hs-fjordvik-legesenter",
        "diabetes",
        "en",
        "Living with type 2 diabetes",
        "text/plain",
        "current",
        _DIABETES_EN,
    ),
    (
        "doc-0003",
        "hs-fjordvik-legesenter",
        "nutrition",
        "nb",
        "Kosthold ved diabetes type 2",
        "application/pdf",
        "current",
        None,
    ),
    (
        "doc-0004",
        "hs-fjordvik-fysio",
        "physical-activity",
        "nb",
        "Øvelser for korsryggen",
        "text/plain",
        "current",
        _BACK,
    ),
    (
        "doc-0005",
        "hs-midtby-medpol",
        "medicines",
        "nb",
        "Blodfortynnende medisiner – det du bør vite",
        "text/plain",
        "current",
        _BLOOD_THINNERS,
    ),
    (
        "doc-0006",
        "hs-fjordvik-legesenter",
        "vaccination",
        "nb",
        "Influensavaksine sesongen 2025/26",
        "text/plain",
        "superseded",
        _FLU,
    ),
)


def library_resources(
    *, seed: int, now: dt.datetime, service_names: dict[str, str], service_orgs: dict[str, str]
) -> Iterator[Resource]:
    """DocumentReference + Binary for each document of DOCUMENTS."""
    rng = random.Random(f"library:{seed}")
    for n, (doc_id, service, topic, lang, title, ctype, status, text) in enumerate(DOCUMENTS, start=1):
        raw = text.encode("utf-8") if text is not None else minimal_pdf(_DIET_LINES[0], _DIET_LINES[2:])
        when = (now - dt.timedelta(days=rng.randint(20, 400), minutes=rng.randint(0, 600))).strftime(FMT)
        bin_id = f"bin-{n:04d}"
        doc: Resource = {
            "resourceType": "DocumentReference",
            "id": doc_id,
            "status": status,
            "extension": [
                {
                    "url": EXT_LIBRARY_SERVICE,
                    "valueReference": {
                        "reference": f"HealthcareService/{service}",
                        "display": service_names.get(service, ""),
                    },
                }
            ],
            "type": {
                "coding": [{"system": DOC_CATEGORY, "code": "patient-education", "display": "Pasientinformasjon"}]
            },
            "category": [
                {"coding": [{"system": DOC_CATEGORY, "code": "patient-education"}]},
                {"coding": [{"system": EDU_TOPIC, "code": topic}]},
            ],
            "date": when,
            "description": title,
            "content": [
                {
                    "attachment": {
                        "contentType": ctype,
                        "language": lang,
                        "url": f"Binary/{bin_id}",
                        "size": len(raw),
                        "hash": base64.b64encode(hashlib.sha1(raw).digest()).decode(
                            "ascii"
                        ),  # FHIR: Attachment.hash is SHA-1
                        "title": title,
                        "creation": when,
                    }
                }
            ],
        }
        if service_orgs.get(service):
            doc["custodian"] = {"reference": f"Organization/{service_orgs[service]}"}
        yield doc
        yield {
            "resourceType": "Binary",
            "id": bin_id,
            "contentType": ctype,
            "securityContext": {"reference": f"DocumentReference/{doc_id}"},
            "data": base64.b64encode(raw).decode("ascii"),
        }
