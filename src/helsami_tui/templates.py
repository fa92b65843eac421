"""Reply templates: the standard ones of the catalogs, the unit's and the user's own, filled with
the patient's name and the signed-in user's signature.

Where templates come from, in the order the reply editor numbers them (1, 2, ... chosen by number):

1. personal: ``[[templates]]`` tables in the user's ``config.toml``;
2. the unit's: a TOML file shared by a unit (the ``unit_templates`` setting or ``HELSAMI_UNIT_TEMPLATES``)
   of ``[[templates]]`` tables; one with ``unit = "<id>"`` is offered only to members of that unit
   (an Organization id such as ``org-fjordvik-legesenter`` or an inbox id such as
   ``hs-fjordvik-legesenter``), one without to everyone who reads the file;
3. standard: ``template.<i>.title`` / ``template.<i>.body`` in the catalogs (both languages).

Each table has ``title`` and ``body`` and may have ``lang = "nb" | "en"`` (offered only in that
language). A body may use ``{patient}`` (the patient's name), ``{signature}`` (name, title and unit
on their own lines), ``{name}``, ``{title}`` and ``{unit}``; other braces are left as typed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TITLE_LIMIT = 80
BODY_LIMIT = 4000
MAX_TEMPLATES = 40  # per source: the list stays short enough to choose from by number


@dataclass(frozen=True)
class Template:
    title: str
    body: str
    source: str  # personal | unit | standard
    lang: str = ""  # "" = every language
    unit: str = ""  # "" = every unit


@dataclass(frozen=True)
class Signature:
    name: str
    title: str = ""
    unit: str = ""

    def text(self) -> str:
        """Name, title and unit on their own lines (empty parts left out)."""
        return "\n".join(p for p in (self.name, self.title, self.unit) if p)


PATIENT = "{patient}"  # where a template names the patient


def fill(body: str, *, patient: str, signature: Signature) -> str:
    """A template's body with the patient's name and the signature put in."""
    out = body
    for key, value in (
        ("{signature}", signature.text()),
        (PATIENT, patient),
        ("{name}", signature.name),
        ("{title}", signature.title),
        ("{unit}", signature.unit),
    ):
        out = out.replace(key, value)
    return out


Problem = tuple[str, str, dict[str, str]]  # (catalog name "config.problem.<name>", English, arguments)


def parse(
    data: Mapping[str, Any], source: str, problems: list[Problem] | None = None, where: str = ""
) -> list[Template]:
    """The ``[[templates]]`` tables of a TOML document; a table without a title or body is skipped
    (and said in `problems`)."""
    raw = data.get("templates", [])
    if not isinstance(raw, list):
        if problems is not None:
            problems.append(
                ("templates_list", f"{where}: templates must be a list of tables ([[templates]])", {"path": where})
            )
        return []
    out: list[Template] = []
    for i, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            continue
        title, body = entry.get("title"), entry.get("body")
        if not isinstance(title, str) or not isinstance(body, str) or not title.strip() or not body.strip():
            if problems is not None:
                problems.append(
                    ("template_entry", f"{where}: template {i} needs a title and a body", {"path": where, "n": str(i)})
                )
            continue
        lang = entry.get("lang", "")
        unit = entry.get("unit", "")
        out.append(
            Template(
                title.strip()[:TITLE_LIMIT],
                body[:BODY_LIMIT],
                source,
                lang if isinstance(lang, str) else "",
                unit if isinstance(unit, str) else "",
            )
        )
        if len(out) >= MAX_TEMPLATES:
            break
    return out


def load_file(path: Path, source: str = "unit", problems: list[Problem] | None = None) -> list[Template]:
    """The templates of a TOML file; a missing or broken file gives none (and a problem)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as e:
        if problems is not None:
            problems.append(("file", f"{path}: {e}", {"path": str(path), "error": str(e)}))
        return []
    return parse(data, source, problems, str(path))


def offered(
    personal: Iterable[Template],
    unit: Iterable[Template],
    standard: Iterable[Template],
    *,
    language: str,
    units: Iterable[str],
) -> list[Template]:
    """The templates offered to this user in this language, in the order they are numbered."""
    mine = set(units)
    out = []
    for t in (*personal, *unit, *standard):
        if t.lang and t.lang != language:
            continue
        if t.unit and t.unit not in mine:
            continue
        out.append(t)
    return out
