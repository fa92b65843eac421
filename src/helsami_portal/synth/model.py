"""Fixed parts of the synthetic world, as tables (data): organisations, inboxes, staff, demo users, clinical
catalogues. `directory` makes the FHIR resources of the first three."""

from __future__ import annotations

from dataclasses import dataclass

UCUM = "http://unitsofmeasure.org"
ATC = "http://www.whocc.no/atc"
ICPC2 = "urn:oid:2.16.578.1.12.4.1.1.7170"
LOINC = "http://loinc.org"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    kind: str  # "staff" | "patient"
    role: str  # a staff role code, or "patient"
    resource: str  # "Practitioner/x", "Patient/x" or "RelatedPerson/x"
    display: str


# --- organisations ----------------------------------------------------------------------------
HOSP = "org-midtby-sykehus"
KOM = "org-fjordvik-kommune"
GP1 = "org-fjordvik-legesenter"
GP2 = "org-bakkegata-legekontor"


def _orgnr(base8: str) -> str:
    """A 9-digit organisation number with a valid mod-11 check digit (invented numbers)."""
    n = int(base8)
    while True:
        digits = [int(c) for c in f"{n:08d}"]
        k = 11 - sum(d * w for d, w in zip(digits, (3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
        if k == 11:
            k = 0
        if k != 10:
            return f"{n:08d}{k}"
        n += 1


# id, name, org number base, type text, alias
ORGS = (
    (HOSP, "Midtby sykehus", "99887766", "Sykehus", "Midtby sykehus"),
    (KOM, "Fjordvik kommune", "99776655", "Kommune", "Fjordvik kommune"),
    (GP1, "Fjordvik legesenter", "99665544", "Fastlegekontor", "Fjordvik legesenter"),
    (GP2, "Bakkegata legekontor", "99554433", "Fastlegekontor", "Bakkegata legekontor"),
)
ORG_NAME = {o[0]: o[1] for o in ORGS}


@dataclass(frozen=True)
class Inbox:
    id: str
    org: str
    name: str
    kind: str  # clinical | intake | direct
    backup: str | None
    delay_min: int  # safety-net delay
    response_days: int  # stated response time, working days
    working_time: bool  # response time counts working days only
    families: tuple[str, ...]  # message topic families that suit it
    weight: int  # share of generated items (per mille, roughly)
    phone_share: float  # share of phone messages among its items
    office: int | None = None  # GP office index: patients are that office's list
    children: bool = False  # patients are children


# Listed so that every back-up inbox comes before the inboxes that use it.
INBOXES = (
    # Hospital
    Inbox(
        "hs-midtby-pasientkontor",
        HOSP,
        "Midtby sykehus – Pasientkontoret (timer og henvendelser)",
        "intake",
        None,
        480,
        3,
        True,
        ("hospital", "ortho"),
        30,
        0.35,
    ),
    Inbox(
        "hs-midtby-medpol-reserve",
        HOSP,
        "Medisinsk poliklinikk – reserveinnboks (seksjonsleder)",
        "clinical",
        "hs-midtby-pasientkontor",
        1440,
        3,
        True,
        ("hospital",),
        0,
        0.0,
    ),
    Inbox(
        "hs-midtby-medpol",
        HOSP,
        "Medisinsk poliklinikk – meldinger",
        "clinical",
        "hs-midtby-medpol-reserve",
        1440,
        3,
        True,
        ("hospital",),
        90,
        0.03,
    ),
    Inbox(
        "hs-midtby-barn",
        HOSP,
        "Barne- og ungdomsklinikken – poliklinikk",
        "clinical",
        "hs-midtby-pasientkontor",
        1440,
        3,
        True,
        ("child",),
        30,
        0.05,
        children=True,
    ),
    Inbox(
        "hs-midtby-ortopedi",
        HOSP,
        "Ortopedisk poliklinikk – meldinger",
        "clinical",
        "hs-midtby-pasientkontor",
        1440,
        3,
        True,
        ("ortho",),
        40,
        0.03,
    ),
    # Municipality
    Inbox(
        "hs-fjordvik-sentralbord",
        KOM,
        "Fjordvik kommune – Sentralbord helse og omsorg",
        "intake",
        None,
        240,
        1,
        True,
        ("homecare", "physio", "mental"),
        40,
        0.6,
    ),
    Inbox(
        "hs-fjordvik-fysio",
        KOM,
        "Fysioterapitjenesten – felles innboks",
        "clinical",
        "hs-fjordvik-sentralbord",
        480,
        1,
        True,
        ("physio",),
        50,
        0.05,
    ),
    Inbox(
        "hs-fjordvik-fysio-eira",
        KOM,
        "Fysioterapeut Elle Márjá Eira – direktemeldinger",
        "direct",
        "hs-fjordvik-fysio",
        480,
        1,
        True,
        ("physio",),
        15,
        0.0,
    ),
    Inbox(
        "hs-fjordvik-fysio-lund",
        KOM,
        "Fysioterapeut Magnus Lund – direktemeldinger",
        "direct",
        "hs-fjordvik-fysio",
        480,
        1,
        True,
        ("physio",),
        15,
        0.0,
    ),
    Inbox(
        "hs-fjordvik-psyk",
        KOM,
        "Psykisk helse og rus – felles innboks",
        "clinical",
        "hs-fjordvik-sentralbord",
        240,
        1,
        True,
        ("mental",),
        50,
        0.1,
    ),
    Inbox(
        "hs-fjordvik-psyk-sjovold",
        KOM,
        "Psykiatrisk sykepleier Åse Sjøvold – direktemeldinger",
        "direct",
        "hs-fjordvik-psyk",
        240,
        1,
        True,
        ("mental",),
        15,
        0.0,
    ),
    Inbox(
        "hs-fjordvik-hjemme",
        KOM,
        "Hjemmetjenesten – meldinger",
        "clinical",
        "hs-fjordvik-sentralbord",
        120,
        1,
        False,
        ("homecare",),
        60,
        0.3,
    ),
    # GP offices
    Inbox(
        "hs-fjordvik-legesenter-leder",
        GP1,
        "Fjordvik legesenter – daglig leder (reserve)",
        "clinical",
        None,
        1440,
        5,
        True,
        ("gp",),
        0,
        0.0,
        office=0,
    ),
    Inbox(
        "hs-fjordvik-legesenter-sekretaer",
        GP1,
        "Fjordvik legesenter – legesekretærene",
        "intake",
        "hs-fjordvik-legesenter-leder",
        1440,
        5,
        True,
        ("gp",),
        40,
        0.5,
        office=0,
    ),
    Inbox(
        "hs-fjordvik-legesenter",
        GP1,
        "Fjordvik legesenter – meldinger til legene",
        "clinical",
        "hs-fjordvik-legesenter-sekretaer",
        2880,
        5,
        True,
        ("gp",),
        300,
        0.04,
        office=0,
    ),
    Inbox(
        "hs-bakkegata-reserve",
        GP2,
        "Bakkegata legekontor – reserveinnboks",
        "clinical",
        None,
        1440,
        5,
        True,
        ("gp",),
        0,
        0.0,
        office=1,
    ),
    Inbox(
        "hs-bakkegata",
        GP2,
        "Bakkegata legekontor – meldinger",
        "clinical",
        "hs-bakkegata-reserve",
        2880,
        5,
        True,
        ("gp",),
        200,
        0.04,
        office=1,
    ),
)
INBOX = {i.id: i for i in INBOXES}
OFFICE_ORGS = (GP1, GP2)


@dataclass(frozen=True)
class Staff:
    id: str
    username: str
    given: str
    family: str
    male: bool
    role: str
    org: str
    pools: tuple[str, ...]
    title: str  # profession, shown in signatures


_L1 = "hs-fjordvik-legesenter"
STAFF = (
    # demo users first (their ids are part of the demo_users() contract)
    Staff("prac-0001", "lege", "Marte", "Lien", False, "physician", GP1, (_L1, f"{_L1}-leder"), "fastlege"),
    Staff("prac-0002", "sykepleier", "Henrik", "Strand", True, "nurse", GP1, (_L1, f"{_L1}-sekretaer"), "sykepleier"),
    Staff(
        "prac-0003",
        "sentralbord",
        "Sigrid",
        "Moen",
        False,
        "switchboard",
        KOM,
        ("hs-fjordvik-sentralbord",),
        "sentralbordmedarbeider",
    ),
    Staff("prac-0004", "it", "Tobias", "Eide", True, "it-support", KOM, (), "IT-støtte"),
    Staff("prac-0005", "personvern", "Anne Grete", "Vik", False, "privacy-officer", HOSP, (), "personvernrådgiver"),
    Staff(
        "prac-0006",
        "lege2",
        "Ahmed",
        "Karimi",
        True,
        "physician",
        HOSP,
        ("hs-midtby-medpol", "hs-midtby-medpol-reserve"),
        "overlege",
    ),
    Staff(
        "prac-0007",
        "fysio",
        "Elle Márjá",
        "Eira",
        False,
        "nurse",
        KOM,
        ("hs-fjordvik-fysio", "hs-fjordvik-fysio-eira"),
        "fysioterapeut",
    ),
    # everyone else
    Staff("prac-0008", "ansatt008", "Knut", "Aune", True, "physician", GP1, (_L1,), "fastlege"),
    Staff("prac-0009", "ansatt009", "Ingrid", "Sæther", False, "physician", GP1, (_L1,), "fastlege"),
    Staff("prac-0010", "ansatt010", "Mohammed", "Ali", True, "physician", GP1, (_L1,), "fastlege"),
    Staff(
        "prac-0011", "ansatt011", "Tone", "Rønning", False, "switchboard", GP1, (f"{_L1}-sekretaer",), "legesekretær"
    ),
    Staff("prac-0012", "ansatt012", "Per", "Krogstad", True, "physician", GP2, ("hs-bakkegata",), "fastlege"),
    Staff("prac-0013", "ansatt013", "Linh", "Nguyen", False, "physician", GP2, ("hs-bakkegata",), "fastlege"),
    Staff(
        "prac-0014",
        "ansatt014",
        "Silje",
        "Hårstad",
        False,
        "physician",
        GP2,
        ("hs-bakkegata", "hs-bakkegata-reserve"),
        "fastlege",
    ),
    Staff(
        "prac-0015",
        "ansatt015",
        "Ole",
        "Brå",
        True,
        "nurse",
        GP2,
        ("hs-bakkegata", "hs-bakkegata-reserve"),
        "sykepleier",
    ),
    Staff(
        "prac-0016",
        "ansatt016",
        "Kristin",
        "Lian",
        False,
        "physician",
        HOSP,
        ("hs-midtby-medpol",),
        "lege i spesialisering",
    ),
    Staff("prac-0017", "ansatt017", "Piotr", "Nowak", True, "physician", HOSP, ("hs-midtby-medpol",), "overlege"),
    Staff("prac-0018", "ansatt018", "Guri", "Eggen", False, "nurse", HOSP, ("hs-midtby-medpol",), "sykepleier"),
    Staff("prac-0019", "ansatt019", "Jonas", "Vold", True, "nurse", HOSP, ("hs-midtby-medpol",), "sykepleier"),
    Staff(
        "prac-0020",
        "ansatt020",
        "Randi",
        "Fossum",
        False,
        "nurse",
        HOSP,
        ("hs-midtby-medpol", "hs-midtby-medpol-reserve"),
        "seksjonsleder",
    ),
    Staff("prac-0021", "ansatt021", "Sára", "Gaup", False, "physician", HOSP, ("hs-midtby-barn",), "overlege"),
    Staff("prac-0022", "ansatt022", "Even", "Løkken", True, "nurse", HOSP, ("hs-midtby-barn",), "barnesykepleier"),
    Staff(
        "prac-0023", "ansatt023", "Steinar", "Indergaard", True, "physician", HOSP, ("hs-midtby-ortopedi",), "overlege"
    ),
    Staff("prac-0024", "ansatt024", "Hodan", "Osman", False, "nurse", HOSP, ("hs-midtby-ortopedi",), "sykepleier"),
    Staff(
        "prac-0025",
        "ansatt025",
        "Bodil",
        "Aas",
        False,
        "switchboard",
        HOSP,
        ("hs-midtby-pasientkontor",),
        "helsesekretær",
    ),
    Staff(
        "prac-0026",
        "ansatt026",
        "Jakub",
        "Kaczmarek",
        True,
        "switchboard",
        HOSP,
        ("hs-midtby-pasientkontor",),
        "helsesekretær",
    ),
    Staff(
        "prac-0027",
        "ansatt027",
        "Magnus",
        "Lund",
        True,
        "nurse",
        KOM,
        ("hs-fjordvik-fysio", "hs-fjordvik-fysio-lund"),
        "fysioterapeut",
    ),
    Staff(
        "prac-0028",
        "ansatt028",
        "Åse",
        "Sjøvold",
        False,
        "nurse",
        KOM,
        ("hs-fjordvik-psyk", "hs-fjordvik-psyk-sjovold"),
        "psykiatrisk sykepleier",
    ),
    Staff("prac-0029", "ansatt029", "Dawit", "Haile", True, "nurse", KOM, ("hs-fjordvik-psyk",), "ruskonsulent"),
    Staff("prac-0030", "ansatt030", "Eirik", "Kvam", True, "physician", KOM, ("hs-fjordvik-psyk",), "kommuneoverlege"),
    Staff("prac-0031", "ansatt031", "Wenche", "Johansen", False, "nurse", KOM, ("hs-fjordvik-hjemme",), "sykepleier"),
    Staff("prac-0032", "ansatt032", "Olena", "Kovalenko", False, "nurse", KOM, ("hs-fjordvik-hjemme",), "sykepleier"),
    Staff("prac-0033", "ansatt033", "Arvid", "Olsen", True, "nurse", KOM, ("hs-fjordvik-hjemme",), "vernepleier"),
    Staff(
        "prac-0034",
        "ansatt034",
        "Leila",
        "Rahimi",
        False,
        "switchboard",
        KOM,
        ("hs-fjordvik-sentralbord",),
        "sentralbordmedarbeider",
    ),
    Staff("prac-0035", "ansatt035", "Sander", "Pettersen", True, "it-support", HOSP, (), "IT-støtte"),
    Staff("prac-0036", "ansatt036", "Torill", "Berg", False, "privacy-officer", KOM, (), "personvernombud"),
)
STAFF_BY_ID = {s.id: s for s in STAFF}
GPS = (
    tuple(s.id for s in STAFF if s.org == GP1 and s.role == "physician"),
    tuple(s.id for s in STAFF if s.org == GP2 and s.role == "physician"),
)
# Staff with the library-editor duty (conventions.STAFF_DUTIES): the nurse of the GP office.
LIBRARY_EDITORS = ("prac-0002",)
ROLE_DISPLAY = {
    "physician": "Lege",
    "nurse": "Sykepleier",
    "switchboard": "Sentralbord",
    "it-support": "IT-støtte",
    "privacy-officer": "Personvernrådgiver",
}

# Demo patients (fixed ids; the rest of the patients are drawn at random).
# index: (given, family, male, age in days, GP practitioner id)
DEMO_PATIENTS = (
    ("Kari", "Nordmann", False, 46 * 365 + 120, "prac-0001"),  # pat-000001, "pasient"
    ("Ola", "Nordmann", True, 84 * 365 + 200, "prac-0001"),  # pat-000002, "pasient2"
    ("Sara", "Fjellheim", False, 7 * 365 + 90, "prac-0012"),  # pat-000003, child (<12)
    ("Ánde", "Fjellheim", True, 13 * 365 + 60, "prac-0012"),  # pat-000004, 13 years old
)
# Proxies: (given, family, male, age in days, patient index, relation, level, demo username)
DEMO_PROXIES = (
    ("Lars", "Fjellheim", True, 41 * 365 + 10, 2, "FTH", "full", "fullmakt"),
    ("Lars", "Fjellheim", True, 41 * 365 + 10, 3, "FTH", "messages", None),
    ("Kari", "Nordmann", False, 46 * 365 + 120, 1, "DAU", "full", None),
)
RELATIONS = {
    "FTH": ("father", "Far"),
    "MTH": ("mother", "Mor"),
    "DAU": ("natural daughter", "Datter"),
    "SON": ("natural son", "Sønn"),
}
PROXY_LEVEL_DISPLAY = {
    "standard": "Standard",
    "read": "Lesetilgang",
    "messages": "Bare kommunisere",
    "full": "Full tilgang",
}


def demo_users() -> list[DemoUser]:
    """The demo logins. Every `resource` exists in any dataset made by `generate`."""
    users = [
        DemoUser(s.username, "demo", "staff", s.role, f"Practitioner/{s.id}", f"{s.given} {s.family} ({s.title})")
        for s in STAFF[:7]
    ]
    users.append(DemoUser("pasient", "demo", "patient", "patient", "Patient/pat-000001", "Kari Nordmann"))
    users.append(DemoUser("pasient2", "demo", "patient", "patient", "Patient/pat-000002", "Ola Nordmann"))
    users.append(
        DemoUser(
            "fullmakt",
            "demo",
            "patient",
            "patient",
            "RelatedPerson/rp-000001",
            "Lars Fjellheim (fullmakt for Sara Fjellheim)",
        )
    )
    return users


# --- clinical catalogues ----------------------------------------------------------------------
# ICPC-2 code: (display, medicines, lab panels)
CONDITIONS = {
    "T90": ("Diabetes type 2", ("metformin",), ("diabetes", "lipid")),
    "K86": ("Hypertensjon ukomplisert", ("amlodipin",), ("nyre",)),
    "T93": ("Lipidforstyrrelse", ("atorvastatin",), ("lipid",)),
    "T86": ("Hypotyreose/myksødem", ("levaxin",), ("stoffskifte",)),
    "K78": ("Atrieflimmer/flutter", ("eliquis",), ("blod", "nyre")),
    "K77": ("Hjertesvikt", ("furix", "losartan"), ("nyre",)),
    "R96": ("Astma", ("ventoline", "flutide"), ()),
    "R95": ("Kronisk obstruktiv lungesykdom", ("ventoline",), ("blod",)),
    "P76": ("Depresjon", ("sertralin",), ()),
    "P74": ("Angstlidelse", (), ()),
    "P06": ("Søvnforstyrrelse", ("zopiklon",), ()),
    "L03": ("Korsryggsmerter", ("paracet",), ()),
    "L90": ("Kneartrose", ("paracet",), ("blod",)),
    "S87": ("Atopisk eksem", (), ()),
    "N89": ("Migrene", (), ()),
    "B80": ("Jernmangelanemi", (), ("jern",)),
}
CONDITIONS_CHILD = ("R96", "S87")
CONDITIONS_ADULT = ("P76", "P74", "L03", "N89", "K86", "T93", "R96", "P06", "B80", "T86")
CONDITIONS_OLD = ("T90", "K86", "T93", "K78", "L90", "R95", "K77", "T86", "P06")

# key: (ATC, ATC display, product text, dosage)
MEDICINES = {
    "metformin": ("A10BA02", "metformin", "Metformin 500 mg tablett", "1 tablett 2 ganger daglig til måltid"),
    "amlodipin": ("C08CA01", "amlodipin", "Amlodipin 5 mg tablett", "1 tablett daglig"),
    "losartan": ("C09CA01", "losartan", "Losartan 50 mg tablett", "1 tablett daglig"),
    "atorvastatin": ("C10AA05", "atorvastatin", "Atorvastatin 20 mg tablett", "1 tablett om kvelden"),
    "levaxin": ("H03AA01", "levotyroksinnatrium", "Levaxin 50 mikrog tablett", "1 tablett om morgenen på tom mage"),
    "eliquis": ("B01AF02", "apiksaban", "Eliquis 5 mg tablett", "1 tablett 2 ganger daglig"),
    "furix": ("C03CA01", "furosemid", "Furix 40 mg tablett", "1 tablett om morgenen"),
    "ventoline": (
        "R03AC02",
        "salbutamol",
        "Ventoline 0,1 mg/dose inhalasjonsaerosol",
        "1–2 doser ved behov, høyst 8 doser i døgnet",
    ),
    "flutide": ("R03BA05", "flutikason", "Flutide 50 mikrog/dose inhalasjonsaerosol", "2 doser morgen og kveld"),
    "sertralin": ("N06AB06", "sertralin", "Sertralin 50 mg tablett", "1 tablett daglig"),
    "zopiklon": ("N05CF01", "zopiklon", "Imovane 7,5 mg tablett", "½–1 tablett ved behov om kvelden"),
    "paracet": ("N02BE01", "paracetamol", "Paracet 500 mg tablett", "1–2 tabletter inntil 4 ganger daglig ved behov"),
    "omeprazol": ("A02BC01", "omeprazol", "Omeprazol 20 mg enterotablett", "1 tablett daglig før frokost"),
    "cetirizin": ("R06AE07", "cetirizin", "Cetirizin 10 mg tablett", "1 tablett daglig i pollensesongen"),
}


def dispense_quantity(text: str) -> dict[str, object]:
    """The amount a prescription of the medicine `text` dispenses: a pack of 100 tablets or
    capsules, or one inhaler (the approval's summary names it)."""
    if "inhalasjon" in text:
        return {"value": 1, "unit": "inhalator"}
    return {"value": 100, "unit": "stk"}


# (text, code system, code, display, category, criticality, type, reaction)
ALLERGIES = (
    (
        "Penicillin",
        ATC,
        "J01CE",
        "Betalaktamasefølsomme penicilliner",
        "medication",
        "high",
        "allergy",
        "Elveblest og hevelse i ansiktet",
    ),
    (
        "Sulfonamider (trimetoprim-sulfa)",
        ATC,
        "J01EE01",
        "sulfametoksazol og trimetoprim",
        "medication",
        "low",
        "allergy",
        "Utslett",
    ),
    ("Kodein", ATC, "R05DA04", "kodein", "medication", "low", "intolerance", "Kvalme og oppkast"),
    ("Peanøtter", None, None, None, "food", "high", "allergy", "Anafylaksi"),
    ("Bie- og vepsestikk", None, None, None, "environment", "high", "allergy", "Anafylaksi"),
    ("Lateks", None, None, None, "environment", "low", "allergy", "Eksem"),
    ("Bjørkepollen", None, None, None, "environment", "low", "allergy", "Rennende nese og kløende øyne"),
)

# (ATC, display, text, for: "child" | "adult" | "old")
VACCINES = (
    ("J07BD52", "meslinger, kombinasjoner med kusma og røde hunder", "MMR-vaksine (Priorix)", "child"),
    (
        "J07CA09",
        "difteri-hepatitt B-haemophilus influenzae B-pertussis-poliomyelitt-tetanus",
        "Seksvalent barnevaksine (Hexyon)",
        "child",
    ),
    ("J07BB02", "influensa, inaktivert, splittvirus eller overflateantigen", "Influensavaksine", "adult"),
    ("J07BN01", "covid-19, RNA-basert vaksine", "Covid-19-vaksine (Comirnaty)", "adult"),
    (
        "J07AJ52",
        "pertussis, renset antigen, kombinasjoner med toksoider",
        "Difteri, stivkrampe og kikhoste (Boostrix)",
        "adult",
    ),
    ("J07AL01", "pneumokokk, renset polysakkaridantigen", "Pneumokokkvaksine (Pneumovax)", "old"),
)

# key: (LOINC, LOINC display, Norwegian name, unit shown, UCUM code,
#       (low, high) for women, (low, high) for men, decimals, critical low, critical high)
TESTS = {
    "hba1c": (
        "59261-8",
        "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol",
        "HbA1c",
        "mmol/mol",
        "mmol/mol",
        (20, 42),
        (20, 42),
        0,
        None,
        100,
    ),
    "crp": (
        "1988-5",
        "C reactive protein [Mass/volume] in Serum or Plasma",
        "CRP",
        "mg/L",
        "mg/L",
        (None, 5),
        (None, 5),
        0,
        None,
        150,
    ),
    "hb": (
        "718-7",
        "Hemoglobin [Mass/volume] in Blood",
        "Hemoglobin (Hb)",
        "g/dL",
        "g/dL",
        (11.7, 15.3),
        (13.4, 17.0),
        1,
        8.0,
        20.0,
    ),
    "leuk": (
        "6690-2",
        "Leukocytes [#/volume] in Blood by Automated count",
        "Leukocytter",
        "10^9/L",
        "10*9/L",
        (3.5, 10.0),
        (3.5, 10.0),
        1,
        1.0,
        30.0,
    ),
    "kreatinin": (
        "14682-9",
        "Creatinine [Moles/volume] in Serum or Plasma",
        "Kreatinin",
        "µmol/L",
        "umol/L",
        (45, 90),
        (60, 105),
        0,
        None,
        350,
    ),
    "kalium": (
        "2823-3",
        "Potassium [Moles/volume] in Serum or Plasma",
        "Kalium",
        "mmol/L",
        "mmol/L",
        (3.5, 4.4),
        (3.5, 4.4),
        1,
        2.8,
        6.0,
    ),
    "natrium": (
        "2951-2",
        "Sodium [Moles/volume] in Serum or Plasma",
        "Natrium",
        "mmol/L",
        "mmol/L",
        (137, 145),
        (137, 145),
        0,
        125,
        155,
    ),
    "tsh": (
        "3016-3",
        "Thyrotropin [Units/volume] in Serum or Plasma",
        "TSH",
        "mIU/L",
        "m[IU]/L",
        (0.5, 3.6),
        (0.5, 3.6),
        2,
        None,
        20.0,
    ),
    "ft4": (
        "14920-3",
        "Thyroxine (T4) free [Moles/volume] in Serum or Plasma",
        "Fritt T4",
        "pmol/L",
        "pmol/L",
        (12, 22),
        (12, 22),
        0,
        None,
        None,
    ),
    "ldl": (
        "22748-8",
        "Cholesterol in LDL [Moles/volume] in Serum or Plasma",
        "LDL-kolesterol",
        "mmol/L",
        "mmol/L",
        (None, 3.0),
        (None, 3.0),
        1,
        None,
        None,
    ),
    "ferritin": (
        "2276-4",
        "Ferritin [Mass/volume] in Serum or Plasma",
        "Ferritin",
        "µg/L",
        "ug/L",
        (15, 200),
        (30, 400),
        0,
        None,
        None,
    ),
    "alat": (
        "1742-6",
        "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        "ALAT",
        "U/L",
        "U/L",
        (10, 45),
        (10, 70),
        0,
        None,
        None,
    ),
}
# key: (name, tests)
PANELS = {
    "diabetes": ("Diabeteskontroll", ("hba1c", "kreatinin", "kalium")),
    "blod": ("Blodprosent og CRP", ("hb", "crp", "leuk")),
    "nyre": ("Nyrefunksjon og elektrolytter", ("kreatinin", "kalium", "natrium")),
    "stoffskifte": ("Stoffskifte", ("tsh", "ft4")),
    "lipid": ("Kolesterol", ("ldl",)),
    "jern": ("Jernlager", ("ferritin", "hb")),
    "lever": ("Leverprøver", ("alat",)),
}
# Text-only reports: (name, conclusion, release category)
TEXT_REPORTS = (
    ("Histologi, hudbiopsi", "Benign melanocytt-nevus. Fjernet i sin helhet.", "clinician-only"),
    ("Genetisk analyse, arvelig hjertesykdom", "Se brev fra avdeling for medisinsk genetikk.", "never-online"),
    ("Farmakogenetisk analyse (CYP2C19)", "Intermediær omsetter. Se kommentar i journal.", "never-online"),
    ("Cytologi, celleprøve fra livmorhals", "Normale funn. Ny prøve om fem år.", "clinician-or-14d"),
)
