"""Every refusal carries a stable reason code of the portal's table, with structured arguments."""

from __future__ import annotations

import ast
import datetime as dt
import pathlib
import re
from typing import Any

import pytest

from helsami_portal.fhir.outcome import EXT_REASON_ARG, REASON_SYSTEM, FhirError
from helsami_portal.fhir.reasons import REASONS

from .conftest import new_thread, task_for_thread

ROOT = pathlib.Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "helsami_portal"
# The calls that make a refusal: FhirError itself, the helpers that wrap it, and the store's
# InvalidQuery (store/errors.py: its reason comes first), which the API sends as it is.
MAKERS = {"FhirError", "forbidden", "_conflict", "conflict", "InvalidQuery"}
# Helpers whose definitions pass their own `reason` parameter on.
PASS_THROUGH = {
    ("workflow/roles.py", "forbidden"),
    ("workflow/items.py", "conflict"),
    ("workflow/access.py", "refusal"),
    ("auth/throttle.py", "throttled"),
    ("api/guard.py", "_refusal"),
    ("store/query.py", "_limit"),
    ("api/domain_errors.py", "as_fhir"),
}


def _refusal_calls() -> list[tuple[str, int, ast.Call, str]]:
    out = []
    for f in sorted(SRC.rglob("*.py")):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        rel = f.relative_to(SRC).as_posix()
        funcs: dict[int, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                for sub in ast.walk(node):
                    funcs.setdefault(id(sub), node.name)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
            if name in MAKERS:
                out.append((rel, node.lineno, node, funcs.get(id(node), "")))
    return out


def test_every_refusal_in_the_code_names_a_code_of_the_table() -> None:
    calls = _refusal_calls()
    assert len(calls) > 150  # the walk finds them (the portal refuses in many places)
    problems = []
    for rel, line, call, func in calls:
        kws = {k.arg: k.value for k in call.keywords}
        if getattr(call.func, "id", "") == "InvalidQuery" and call.args:
            kws["reason"] = call.args[0]
        if None in kws and isinstance(kws[None], ast.Call) and getattr(kws[None].func, "id", "") == "_closed_code":
            continue  # reason and args of a closed item, from one helper (checked below)
        if "reason" not in kws:
            problems.append(f"{rel}:{line}: no reason=")
            continue
        value = kws["reason"]
        if isinstance(value, (ast.Name, ast.Attribute)) and (rel, func) in PASS_THROUGH:
            continue
        codes = [n.value for n in ast.walk(value) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        if not codes:
            problems.append(f"{rel}:{line}: reason is not a code of the table")
        problems += [f"{rel}:{line}: unknown reason {c!r}" for c in codes if c not in REASONS]
        if "args" in kws and isinstance(kws["args"], ast.Dict):
            names = {k.value for k in kws["args"].keys if isinstance(k, ast.Constant)}
            for c in codes:
                if c in REASONS and not names <= set(REASONS[c][0]):
                    problems.append(
                        f"{rel}:{line}: {c} has arguments {sorted(names - set(REASONS[c][0]))} not in the table"
                    )
    assert not problems, "\n".join(problems)


def test_codes_are_kebab_case_and_documented() -> None:
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", doc, flags=re.M))
    for code in REASONS:
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", code), code
    assert set(REASONS) <= listed, f"not in docs/api.md: {sorted(set(REASONS) - listed)}"
    assert REASON_SYSTEM in doc and EXT_REASON_ARG in doc


def test_the_limits_table_names_the_codes_the_portal_answers_with() -> None:
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = doc.split("\n## Limits\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| limit ")]
    named = []
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if set(cells[0]) <= {"-", " ", ":"}:
            continue  # the table's rule
        # The reason column, its arguments (in parentheses) left aside.
        named += re.findall(r"`([a-z0-9-]+)`", re.sub(r"\([^)]*\)", "", cells[-1]))
    assert len(rows) > 10 and "body-too-large" in named
    assert [c for c in named if c not in REASONS] == []


def test_outcome_carries_the_code_and_typed_arguments() -> None:
    when = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    oo = FhirError(
        409,
        "x",
        reason="claimed-by-other",
        args={
            "who": {"reference": "Practitioner/p1", "display": "Marte Lien"},
            "when": when,
            "item": {"reference": "Task/t1"},
            "limit": 3,
        },
    ).to_fhir()
    issue = oo["issue"][0]
    assert issue["details"]["coding"] == [{"system": REASON_SYSTEM, "code": "claimed-by-other"}]
    values = {e["extension"][0]["valueString"]: e["extension"][1] for e in issue["extension"]}
    assert values["who"] == {
        "url": "value",
        "valueReference": {"reference": "Practitioner/p1", "display": "Marte Lien"},
    }
    assert values["when"] == {"url": "value", "valueInstant": "2026-12-01T09:30:00Z"}
    assert values["limit"] == {"url": "value", "valueInteger": 3}


def reason_of(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    issue = body["issue"][0]
    coding = issue["details"]["coding"][0]
    assert coding["system"] == REASON_SYSTEM
    args = {}
    for e in issue.get("extension", []):
        assert e["url"] == EXT_REASON_ARG
        sub = {x["url"]: x for x in e["extension"]}
        value = sub["value"]
        args[sub["name"]["valueString"]] = next(v for k, v in value.items() if k.startswith("value"))
    return coding["code"], args


def test_over_http_a_claim_by_a_colleague_names_who_and_when(portal: Any, sign_in: Any) -> None:
    lege, sykepleier, pasient = sign_in("lege"), sign_in("sykepleier"), sign_in("pasient")
    mine = set(lege.get("/fhir/$whoami").json()["pools"])
    shared = sorted(mine & set(sykepleier.get("/fhir/$whoami").json()["pools"]))
    pool = shared[0]
    thread = new_thread(pasient, pool)
    task = task_for_thread(lege, thread["thread"]["id"])
    claimed = lege.op(task, "claim")
    assert claimed.status_code == 200, claimed.text
    r = sykepleier.op(task, "claim")
    assert r.status_code == 409
    code, args = reason_of(r.json())
    assert code == "claimed-by-other"
    assert args["who"]["reference"] == lege.get("/fhir/$whoami").json()["resource"] and args["who"]["display"]
    assert args["item"] == {"reference": f"Task/{task['id']}"}
    assert dt.datetime.fromisoformat(args["when"]).tzinfo is not None
    assert "claimed this item" in r.json()["issue"][0]["diagnostics"]  # English stays for other clients


@pytest.mark.parametrize(("path", "code"), [("/fhir/Task", "sign-in-required"), ("/fhir/Nope/1", None)])
def test_refusals_before_sign_in_are_coded_too(portal: Any, path: str, code: str | None) -> None:
    import httpx

    r = httpx.get(f"{portal.base_url}{path}")
    got, _ = reason_of(r.json())
    assert got in REASONS and (code is None or got == code)
