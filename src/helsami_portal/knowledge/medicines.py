"""A small table of medicines for renewal checks: substances, classes, interactions, controlled
substances and usual renewal intervals.

What this table is based on (compiled by hand and simplified; only some entries were looked up
again when it was written, e.g. zopiklon and tramadol Rp.B; re-check against the current sources
before relying on any entry):
- ATC codes and groups: WHO Collaborating Centre for Drug Statistics Methodology, ATC/DDD Index
  (https://atcddd.fhi.no/atc_ddd_index/).
- Interactions: the interaction chapters of Norsk legemiddelhåndbok (https://www.legemiddelhandboka.no)
  and the interaction sections of the product texts in Felleskatalogen (https://www.felleskatalogen.no).
- Reseptgruppe A and B (controlled, narcotic and habit-forming medicines): Statens legemiddelverk,
  the reseptgruppe classification in the product list and the narkotikaliste
  (https://www.dmp.no), and the "Rp.A"/"Rp.B" marks of Norsk legemiddelhåndbok
  (e.g. zopiklon Rp.B, tramadol Rp.B).
- Usual renewal intervals: a product setting for the renewal protocol ("how long since the last
  prescription before a renewal needs a closer look"), informed by the follow-up advice in Norsk
  legemiddelhåndbok (annual control of chronic medicines, short courses for habit-forming ones).

This is NOT a complete interaction database and NOT a substitute for the prescriber's own
checks (FEST, the interaction tools of the record system, the pharmacist). It holds the few
substances the synthetic data and the demo use, and the best-known dangerous combinations, so
that the renewal screen can show the kind of warning a real system gives. Unknown substances are
reported as "not in the table" and never as "no interactions".
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCES = (
    "WHO Collaborating Centre for Drug Statistics Methodology: ATC/DDD Index",
    "Norsk legemiddelhåndbok (interaksjoner, forskrivning av vanedannende legemidler)",
    "Felleskatalogen (preparatomtaler: interaksjoner)",
    "Statens legemiddelverk / DMP: reseptgrupper A og B, narkotikalisten",
)


@dataclass(frozen=True)
class DrugClass:
    key: str
    name: str  # Norwegian, shown to staff
    atc_prefixes: tuple[str, ...]


# Classes by ATC prefix. A substance belongs to every class whose prefix its ATC code starts with.
CLASSES: dict[str, DrugClass] = {
    c.key: c
    for c in (
        DrugClass("penicillins", "penicilliner", ("J01C",)),
        DrugClass("cephalosporins", "cefalosporiner", ("J01DB", "J01DC", "J01DD", "J01DE")),
        DrugClass("sulfonamides", "sulfonamider og trimetoprim", ("J01E",)),
        DrugClass("trimethoprim", "trimetoprim", ("J01EA01", "J01EE01")),
        DrugClass("macrolides", "makrolider", ("J01FA",)),
        DrugClass("nsaids", "NSAID (betennelsesdempende smertestillende)", ("M01A", "N02BA01")),
        DrugClass("opioids", "opioider", ("N02A", "R05DA", "N07BC")),
        DrugClass("benzodiazepines", "benzodiazepiner", ("N05BA", "N05CD")),
        DrugClass("z-hypnotics", "z-hypnotika", ("N05CF",)),
        DrugClass("stimulants", "sentralstimulerende midler", ("N06BA",)),
        DrugClass("vka", "vitamin K-antagonister (warfarin)", ("B01AA",)),
        DrugClass("doac", "direkte orale antikoagulantia", ("B01AF", "B01AE07")),
        DrugClass("ssri", "SSRI (antidepressiva)", ("N06AB",)),
        DrugClass("ace-inhibitors", "ACE-hemmere", ("C09A", "C09B")),
        DrugClass("arb", "angiotensin II-antagonister", ("C09C", "C09D")),
        DrugClass("potassium-sparing", "kaliumsparende diuretika og kaliumtilskudd", ("C03D", "C03EA", "A12BA")),
        DrugClass("statins", "statiner", ("C10AA",)),
        DrugClass("biguanides", "metformin", ("A10BA",)),
        DrugClass("thyroid", "thyreoideahormoner", ("H03AA",)),
        DrugClass("methotrexate", "metotreksat", ("L01BA01", "L04AX03")),
    )
}


@dataclass(frozen=True)
class Substance:
    atc: str
    name: str
    reseptgruppe: str = "C"  # "A" | "B" | "C" | "F" (reseptfritt)
    interval_days: int = 365  # usual time a renewal is routine within (see the module docstring)


SUBSTANCES: dict[str, Substance] = {
    s.atc: s
    for s in (
        # chronic medicines: yearly control
        Substance("A10BA02", "metformin"),
        Substance("C08CA01", "amlodipin"),
        Substance("C09AA02", "enalapril"),
        Substance("C09AA05", "ramipril"),
        Substance("C09CA01", "losartan"),
        Substance("C10AA01", "simvastatin"),
        Substance("C10AA05", "atorvastatin"),
        Substance("H03AA01", "levotyroksin"),
        Substance("B01AF01", "rivaroksaban"),
        Substance("B01AF02", "apiksaban"),
        Substance("C03CA01", "furosemid"),
        Substance("C03DA01", "spironolakton"),
        Substance("A12BA01", "kaliumklorid"),
        Substance("R03AC02", "salbutamol"),
        Substance("R03BA05", "flutikason"),
        Substance("A02BC01", "omeprazol"),
        Substance("R06AE07", "cetirizin"),
        Substance("N02BE01", "paracetamol", "F"),
        # closer follow-up
        Substance("B01AA03", "warfarin", interval_days=180),  # INR-controlled
        Substance("N06AB04", "citalopram", interval_days=180),
        Substance("N06AB06", "sertralin", interval_days=180),
        Substance("N06AB10", "escitalopram", interval_days=180),
        Substance("L04AX03", "metotreksat", interval_days=90),
        Substance("M01AE01", "ibuprofen", interval_days=90),
        Substance("M01AE02", "naproksen", interval_days=90),
        Substance("M01AB05", "diklofenak", interval_days=90),
        Substance("J01CE02", "fenoksymetylpenicillin", interval_days=30),
        Substance("J01CA04", "amoksicillin", interval_days=30),
        Substance("J01EA01", "trimetoprim", interval_days=30),
        Substance("J01EE01", "sulfametoksazol og trimetoprim", interval_days=30),
        Substance("J01FA09", "klaritromycin", interval_days=30),
        # controlled (reseptgruppe A and B): never routine
        Substance("N02AA01", "morfin", "A", 30),
        Substance("N02AA05", "oksykodon", "A", 30),
        Substance("N02AB03", "fentanyl", "A", 30),
        Substance("N02AJ06", "kodein og paracetamol", "B", 30),
        Substance("N02AX02", "tramadol", "B", 30),
        Substance("R05DA04", "kodein", "B", 30),
        Substance("N05BA01", "diazepam", "B", 30),
        Substance("N05BA04", "oksazepam", "B", 30),
        Substance("N05CD02", "nitrazepam", "B", 30),
        Substance("N05CF01", "zopiklon", "B", 30),
        Substance("N05CF02", "zolpidem", "B", 30),
        Substance("N06BA04", "metylfenidat", "A", 90),
        Substance("N06BA12", "lisdeksamfetamin", "A", 90),
    )
}


@dataclass(frozen=True)
class Interaction:
    code: str  # stable key, part of the warning code staff acknowledge
    a: str  # class key or ATC code
    b: str
    severity: str  # "high" | "moderate"
    text: str  # Norwegian, for staff


INTERACTIONS: tuple[Interaction, ...] = (
    Interaction("vka-nsaid", "vka", "nsaids", "high", "Warfarin og NSAID: økt blødningsrisiko (særlig mage-tarm)."),
    Interaction("doac-nsaid", "doac", "nsaids", "high", "Antikoagulantia og NSAID: økt blødningsrisiko."),
    Interaction("ssri-nsaid", "ssri", "nsaids", "moderate", "SSRI og NSAID: økt risiko for blødning fra mage-tarm."),
    Interaction("ssri-anticoagulant", "ssri", "vka", "moderate", "SSRI og warfarin: økt blødningsrisiko; følg INR."),
    Interaction("ssri-doac", "ssri", "doac", "moderate", "SSRI og antikoagulantia: økt blødningsrisiko."),
    Interaction(
        "ace-potassium",
        "ace-inhibitors",
        "potassium-sparing",
        "high",
        "ACE-hemmer og kaliumsparende diuretikum/kaliumtilskudd: fare for hyperkalemi.",
    ),
    Interaction(
        "arb-potassium",
        "arb",
        "potassium-sparing",
        "high",
        "Angiotensin II-antagonist og kaliumsparende diuretikum/kaliumtilskudd: fare for hyperkalemi.",
    ),
    Interaction(
        "ace-nsaid",
        "ace-inhibitors",
        "nsaids",
        "moderate",
        "ACE-hemmer og NSAID: svekket nyrefunksjon og blodtrykkseffekt, fare for hyperkalemi.",
    ),
    Interaction(
        "arb-nsaid",
        "arb",
        "nsaids",
        "moderate",
        "Angiotensin II-antagonist og NSAID: svekket nyrefunksjon, fare for hyperkalemi.",
    ),
    Interaction(
        "opioid-benzodiazepine",
        "opioids",
        "benzodiazepines",
        "high",
        "Opioid og benzodiazepin: fare for respirasjonsdepresjon og død.",
    ),
    Interaction(
        "opioid-z-hypnotic", "opioids", "z-hypnotics", "high", "Opioid og z-hypnotikum: fare for respirasjonsdepresjon."
    ),
    Interaction(
        "benzodiazepine-z-hypnotic",
        "benzodiazepines",
        "z-hypnotics",
        "moderate",
        "Benzodiazepin og z-hypnotikum: forsterket sedasjon og avhengighet.",
    ),
    Interaction(
        "methotrexate-trimethoprim",
        "methotrexate",
        "trimethoprim",
        "high",
        "Metotreksat og trimetoprim: fare for alvorlig benmargsdepresjon.",
    ),
    Interaction(
        "methotrexate-nsaid",
        "methotrexate",
        "nsaids",
        "moderate",
        "Metotreksat og NSAID: økt metotreksatkonsentrasjon og toksisitet.",
    ),
    Interaction(
        "statin-macrolide",
        "statins",
        "macrolides",
        "high",
        "Statin (simvastatin/atorvastatin) og klaritromycin/erytromycin: fare for muskelskade.",
    ),
    Interaction(
        "vka-trimethoprim",
        "vka",
        "sulfonamides",
        "high",
        "Warfarin og sulfametoksazol/trimetoprim: kraftig økt INR, blødningsfare.",
    ),
)

CONTROLLED_GROUPS = ("A", "B")
GROUP_TEXT = {
    "A": "Reseptgruppe A (narkotikum): krever særskilt vurdering og egen resept.",
    "B": "Reseptgruppe B (vanedannende): vurderes av lege; ikke rutinefornyelse.",
}


def classes_of(atc: str) -> list[str]:
    """The class keys of an ATC code (at any level: a substance code or a group code)."""
    atc = (atc or "").upper()
    out = []
    for cls in CLASSES.values():
        if any(atc.startswith(p) or (len(atc) >= 4 and p.startswith(atc)) for p in cls.atc_prefixes):
            out.append(cls.key)
    return out


def substance(atc: str) -> Substance | None:
    return SUBSTANCES.get((atc or "").upper())


def reseptgruppe(atc: str) -> str | None:
    """A or B for controlled substances (by substance, else by class), else None."""
    s = substance(atc)
    if s is not None:
        return s.reseptgruppe if s.reseptgruppe in CONTROLLED_GROUPS else None
    cls = set(classes_of(atc))
    if cls & {"stimulants"} or (cls & {"opioids"} and (atc or "").upper().startswith(("N02AA", "N02AB"))):
        return "A"
    if cls & {"opioids", "benzodiazepines", "z-hypnotics"}:
        return "B"
    return None


def interval_days(atc: str) -> int | None:
    s = substance(atc)
    return s.interval_days if s is not None else None


def _matches(key: str, atc: str, classes: list[str]) -> bool:
    """A rule side is a class key or an ATC code (prefix)."""
    if key in CLASSES:
        return key in classes
    return (atc or "").upper().startswith(key.upper())


def interactions_between(atc_a: str, atc_b: str) -> list[Interaction]:
    ca, cb = classes_of(atc_a), classes_of(atc_b)
    out = []
    for rule in INTERACTIONS:
        if (_matches(rule.a, atc_a, ca) and _matches(rule.b, atc_b, cb)) or (
            _matches(rule.b, atc_a, ca) and _matches(rule.a, atc_b, cb)
        ):
            out.append(rule)
    return out


def allergy_match(allergy_atc: str, allergy_text: str, atc: str) -> tuple[str, str] | None:
    """Whether an allergy (coded by ATC, or only by text) concerns this medicine.

    Returns ("substance", name) for the same substance, ("class", class key) for the same class
    (its bokmål name is CLASSES[key].name; clients name it in their own language by the key), or None.
    """
    atc = (atc or "").upper()
    a = (allergy_atc or "").upper()
    s = substance(atc)
    if a:
        if a == atc or (len(a) < len(atc) and atc.startswith(a) and len(a) >= 5):
            return "substance", s.name if s else atc
        shared = [k for k in classes_of(a) if k in classes_of(atc)]
        if shared:
            return "class", shared[0]
    text = (allergy_text or "").lower()
    if text and s is not None and s.name.split(" ")[0] in text:
        return "substance", s.name
    if text:
        for key in classes_of(atc):
            name = CLASSES[key].name.split(" ")[0].lower()
            if name and name in text:
                return "class", key
    return None
