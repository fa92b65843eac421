"""The text of an item screen, built from the portal's answers: messages and notes, the deadline,
the proxies in the banner and the clinical context (allergies, medicines, results, conditions).
Plain functions over the client's models, shared by the item, decision, reply and intake screens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.text import Text

from .. import clinical_time
from ..attachments import attachment_line
from ..client.api import Clinical
from ..client.errors import AccessDenied
from ..client.models import InboxItem, Me, Message
from ..i18n import format_age, format_number, format_range, short_date, short_datetime, t
from ..safetext import safe_text
from ..sources import TYPE_KEYS, status_text

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """A small trend in the terminal: one block per value, lowest ▁ to highest █."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    if hi == lo:
        return SPARKS[3] * len(values)
    return "".join(SPARKS[round((v - lo) / (hi - lo) * (len(SPARKS) - 1))] for v in values)


def when(value: dt.datetime | None, tz: dt.tzinfo | None = None) -> str:
    """A time as staff read it: 24.11.2026 14:05 in the shown time zone (None: the clinical zone)."""
    if value is None:
        return ""
    local = clinical_time.local(value, tz)
    return short_datetime(local, local.tzinfo)


def sender_name(m: Message, patient_name: str) -> str:
    """Who wrote a message; a proxy as "X on behalf of Y" in the user's language (the portal may
    already have put its own bokmål phrase into the display name: that is taken off first)."""
    name = m.sender_display or m.sender_ref
    if not m.sender_ref.startswith("RelatedPerson/"):
        return name
    if not patient_name:
        return f"{name} {t('msg.proxy')}"
    for phrase in ("på vegne av", "on behalf of"):
        name = name.removesuffix(f" {phrase} {patient_name}")
    return t("msg.on_behalf_of", proxy=name, patient=patient_name)


def on_behalf_text(name: str) -> str:
    """A display name the portal made for a proxy ("X på vegne av Y") in the user's language."""
    for phrase in ("på vegne av", "on behalf of"):
        proxy, found, patient = name.partition(f" {phrase} ")
        if found and proxy and patient:
            return t("msg.on_behalf_of", proxy=proxy, patient=patient)
    return name


def message_block(m: Message, tz: dt.tzinfo | None = None, patient_name: str = "") -> Text:
    """A message as shown to staff: sender (a proxy as "X on behalf of Y"), time, channel, text."""
    channel = t("channel.phone") if m.medium == "phone" else t("channel.portal")
    if m.category == "phone-message":
        # Registered by staff (the sender) for a caller, or a call noted as the caller's own message.
        kind = t("msg.phone_from") if m.from_patient_side else t("msg.phone")
    else:
        kind = t("msg.from_staff") if m.category == "staff-reply" else t("msg.from_patient")
    head = Text.assemble(
        Text(f"{kind}: ", style="bold"),
        safe_text(sender_name(m, patient_name), multiline=False, style="bold"),
        Text(f"  ·  {when(m.sent, tz)}  ·  {channel}"),
    )
    out = Text.assemble(head, "\n", safe_text(m.text))
    for att in m.attachments:  # a name and a size only: the terminal never opens what is attached
        out.append("\n")
        out.append_text(attachment_line(att))
    return out


RELATIONS = ("FTH", "MTH", "DAU", "SON", "SPS", "GUARD", "CHILD", "PRN")
PROXY_LEVELS = ("standard", "read", "messages", "full")


def deadline_text(item: InboxItem, now: dt.datetime, tz: dt.tzinfo | None) -> str:
    """The response deadline and the time left ("Svarfrist 03.12.2026 14:00 (2 d igjen)"), or
    how long ago it passed; for a closed item only the deadline. "" without a deadline."""
    if item.deadline is None:
        return ""
    at = when(item.deadline, tz)
    if item.status not in ("requested", "in-progress"):
        return t("deadline.closed", when=at)
    left = (item.deadline - now).total_seconds()
    if left < 0:
        return t("deadline.overdue", when=at, age=format_age(-left))
    return t("deadline.left", when=at, age=format_age(left))


def state_text(it: InboxItem, me_ref: str, now: dt.datetime, tz: dt.tzinfo | None, *, working: bool) -> Text:
    """The item's state line: type, status, owner, inbox, flags, deadline, "waiting for the portal"
    while an action is out; then the subject."""
    bits = [t(TYPE_KEYS.get(it.type, "type.message")), status_text(it, me_ref)]
    line = Text(" · ".join(bits))
    if it.owner_ref.startswith("Practitioner/"):
        line.append(f" · {t('col.owner')}: ")
        line.append_text(safe_text(it.owner_display, multiline=False))
    if it.pool_display:
        line.append(f" · {t('inbox.pool')}: ")
        line.append_text(safe_text(it.pool_display, multiline=False))
    if it.overdue:
        line.append(f" · [{t('flag.overdue')}]", style="bold")
    if it.escalated:
        line.append(f" · [{t('flag.escalated')}]", style="bold")
    deadline = deadline_text(it, now, tz)
    if deadline:
        line.append(" · ")
        line.append(deadline, style="bold" if it.overdue else "")
    if working:
        line.append(" · ")
        line.append(t("item.working"), style="bold reverse")
    line.append("\n")
    line.append(f"{t('col.subject')}: ", style="bold")
    line.append_text(safe_text(it.subject, multiline=False))
    return line


def grouped_results(observations: list[Any], per_analyte: int = 3) -> list[tuple[str, list[Any], str]]:
    """Results per analyte, the analyte with the newest result first, each analyte's values newest
    first (at most `per_analyte`), and a trend of its numeric values (oldest to newest, as a
    sparkline with an arrow for the last change)."""
    groups: dict[str, list[Any]] = {}
    names: dict[str, str] = {}
    for o in observations:
        key = o.code or o.text
        groups.setdefault(key, []).append(o)
        names.setdefault(key, o.text or o.code)
    earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
    out = []
    for key, rows in groups.items():
        rows.sort(key=lambda o: o.effective or earliest, reverse=True)
        numbers = [o.value for o in reversed(rows) if o.value is not None]
        trend = ""
        if len(numbers) >= 2:
            arrow = "↑" if numbers[-1] > numbers[-2] else "↓" if numbers[-1] < numbers[-2] else "→"
            trend = f"{sparkline(numbers)} {arrow}"
        out.append((names[key], rows[:per_analyte], trend))
    out.sort(key=lambda g: g[1][0].effective or earliest, reverse=True)
    return out


def criticality(code: str) -> str:
    """An allergy's criticality in words (FHIR codes low | high | unable-to-assess)."""
    return t(f"allergy.{code}") if code in ("low", "high", "unable-to-assess") else code


def notes_newest_first(notes: Any) -> list[Any]:
    """Internal notes newest first, the newest pend note (why a renewal was sent to a physician) on top."""
    earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
    ordered = sorted(notes, key=lambda n: n.time or earliest, reverse=True)
    pend = next((n for n in ordered if n.kind == "pend"), None)
    return ([pend] + [n for n in ordered if n is not pend]) if pend is not None else ordered


def note_block(note: Any, tz: dt.tzinfo | None) -> Text:
    tag = t("note.pend") if note.kind == "pend" else t("note.reopen") if note.kind == "reopen" else t("note.internal")
    head = Text.assemble(
        Text(tag, style="bold reverse"),
        "  ",
        safe_text(note.author_display, multiline=False),
        f"  ·  {when(note.time, tz)}",
    )
    return Text.assemble(head, "\n", safe_text(note.text))


def proxies_line(line: Text, proxies: list[Any]) -> None:
    """Append the patient's proxies to the banner line: name (relation, level, until)."""
    line.append(f"\n{t('proxy.title')}: ", style="bold")
    for i, x in enumerate(proxies):
        if i:
            line.append("; ")
        line.append_text(safe_text(x.name, multiline=False))
        relation = t(f"relation.{x.relation_code}") if x.relation_code in RELATIONS else x.relation_text
        bits = [
            b
            for b in (
                relation,
                t(f"proxy.level.{x.level}") if x.level in PROXY_LEVELS else x.level,
                t("proxy.until", date=short_date(x.until)) if x.until else "",
            )
            if b
        ]
        line.append_text(safe_text(f" ({', '.join(bits)})", multiline=False))


def context_text(me: Me | None, clinical: Clinical | None, tz: dt.tzinfo | None) -> Text:
    """The clinical context beside the thread, or why it is not shown."""
    out = Text()
    if me is None or not me.sees_clinical:
        out.append(t("context.role_denied"))
    elif clinical is None:
        out.append(t("app.loading"))
    else:
        c = clinical
        denied = c.denied
        if denied is not None and isinstance(c.allergies, AccessDenied):
            out.append(t("context.denied") + "\n\n", style="bold")
            out.append_text(safe_text(str(denied)))
            out.append("\n\n" + t("context.break_glass_hint"))
        else:
            section(
                out,
                t("context.allergies"),
                c.allergies,
                lambda a: Text.assemble(
                    safe_text(a.text, multiline=False), f" ({criticality(a.criticality)})" if a.criticality else ""
                ),
                empty=t("context.no_allergies"),
            )
            section(
                out,
                t("context.medications"),
                c.medications,
                lambda m: Text.assemble(
                    safe_text(m.text, multiline=False), "\n  ", safe_text(m.dosage, multiline=False)
                ),
            )
            results_section(out, c.observations, tz)
            section(out, t("context.conditions"), c.conditions, lambda d: safe_text(d.text, multiline=False))
    return out


def results_section(out: Text, rows: Any, tz: dt.tzinfo | None) -> None:
    """Results per analyte: its name and trend, then its values with their dates, newest first."""
    out.append(t("context.results") + "\n", style="bold underline")
    if isinstance(rows, AccessDenied):
        out.append_text(safe_text(str(rows)))
        out.append("\n\n")
        return
    if not rows:
        out.append(t("context.none") + "\n\n")
        return
    for name, values, trend in grouped_results(rows)[:8]:
        out.append("• ")
        out.append_text(safe_text(name, multiline=False, style="bold"))
        if trend:
            out.append(f"  {trend}")
        out.append("\n")
        for o in values:
            flag = f" [{o.flag}]" if o.flag and o.flag != "N" else ""
            out.append(f"  {when(o.effective, tz)[:10]}  ")
            out.append_text(safe_text(f"{value_text(o)} {o.unit}".strip(), multiline=False))
            out.append(flag, style="bold")
            out.append("\n")
    out.append("\n")


def obs_line(o: Any) -> Text:
    flag = f" [{o.flag}]" if o.flag and o.flag != "N" else ""
    rng = f" ({r})" if (r := range_text(o)) else ""
    return Text.assemble(
        safe_text(o.text, multiline=False),
        ": ",
        safe_text(f"{value_text(o)} {o.unit}", multiline=False),
        Text(flag, style="bold"),
        rng,
    )


def section(out: Text, title: str, rows: Any, line: Any, empty: str | None = None) -> None:
    out.append(title + "\n", style="bold underline")
    if isinstance(rows, AccessDenied):
        out.append_text(safe_text(str(rows)))
        out.append("\n\n")
        return
    if not rows:
        out.append((empty or t("context.none")) + "\n\n")
        return
    for r in rows[:12]:
        out.append("• ")
        out.append_text(line(r))
        out.append("\n")
    out.append("\n")


def value_text(o: Any) -> str:
    """An observation's value for the locale: a number with a decimal comma in bokmål, yes/no in words."""
    if o.value is not None:
        return format_number(o.value)
    if getattr(o, "value_bool", None) is not None:
        return t("quest.yes") if o.value_bool else t("quest.no")
    return str(o.value_text)


def range_text(o: Any) -> str:
    """An observation's reference range with numbers for the locale."""
    return format_range(o.low, o.high, o.range_text)
