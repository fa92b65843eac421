"""A test result (prøvesvar): each value with unit, reference range and a text flag (H, L,
KRITISK), earlier values of the same test as a small trend with the numbers and dates, and the
release category in words. Release with a plain-language comment, mark reviewed, forward."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from ..actions import with_ids
from ..client.reviews import ResultReview, ReviewObservation
from ..i18n import format_number, format_range, t, tn
from ..safetext import safe_text
from .decision import DecisionScreen, date_text, heading, sparkline

FLAG_WIDTH = 12


def flag_marker(o: ReviewObservation) -> str:
    """The flag as text, never colour alone: "H høy", "LL KRITISK", "" for normal."""
    if not o.flag or o.flag == "N":
        return ""
    if o.critical or o.flag in ("HH", "LL", "AA"):
        return f"{o.flag} {t('result.critical')}"
    word = t(f"result.flag.{o.flag}")
    return f"{o.flag} {word}" if not word.startswith("result.") else o.flag


def num(value: float | None, text: str) -> str:
    """A value for the locale (decimal comma in bokmål); the portal's text when it is no number."""
    return format_number(value) if value is not None else text


def range_of(o: ReviewObservation) -> str:
    """The reference range for the locale: "13,4–17" in bokmål."""
    return format_range(o.low, o.high, o.range_text)


def trend(o: ReviewObservation, tz: object = None) -> Text:
    """Earlier values then this one: a sparkline, and the numbers with their dates."""
    earlier = [h for h in o.history if h.value is not None]
    if not earlier:
        return Text(f"    {t('result.earlier')}: {t('result.no_earlier')}\n", style="dim")
    values = [h.value for h in earlier if h.value is not None]
    if o.value is not None:
        values.append(o.value)
    line = Text(f"    {t('result.earlier')}: ")
    line.append(sparkline(values), style="bold")
    line.append("\n      ")
    parts = [
        f"{date_text(h.date, tz)} {num(h.value, h.value_text)}{' ' + h.flag if h.flag and h.flag != 'N' else ''}"  # type: ignore[arg-type]
        for h in earlier[-4:]
    ]
    line.append_text(safe_text(" · ".join(parts), multiline=False))
    line.append(" → ")
    line.append_text(safe_text(num(o.value, o.value_text), multiline=False, style="bold"))
    line.append("\n")
    return line


class ResultScreen(DecisionScreen):
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("g", "release", t("action.release")),
        Binding("v", "mark_reviewed", t("action.mark_reviewed")),
    )

    review: ResultReview | None

    async def fetch_review(self) -> ResultReview:
        return await self.happ.client.result_review(self.item)

    def render_review(self, out: Text) -> None:
        r = self.review
        if r is None:  # drawn only once the review is in
            return
        tz = self.happ.tz
        heading(out, t("result.report"))
        out.append_text(safe_text(r.name, multiline=False, style="bold"))
        out.append("\n")
        if r.effective:
            out.append(t("result.taken", date=date_text(r.effective, tz)) + "\n")
        cat = t(f"cat.{r.category}")
        out.append(f"{t('result.category')}: ", style="bold")
        out.append_text(
            safe_text(cat if not cat.startswith("cat.") else (r.category_text or r.category), multiline=False)
        )
        out.append("\n")
        if r.category == "never-online":
            out.append(t("result.never_online") + "\n", style="bold")
        elif r.released:
            out.append(t("result.released", date=date_text(r.released_at, tz)))
            if r.released_by:
                out.append(" " + t("result.released_by", name="\0").partition("\0")[0])
                out.append_text(safe_text(r.released_by, multiline=False))
            out.append("\n")
        else:
            out.append(t("result.not_released") + "\n", style="bold")
            if r.auto_release_at:
                out.append(t("result.auto_release", date=date_text(r.auto_release_at, tz)) + "\n")
        out.append(f"{tn('count.abnormal', r.abnormal)}, {tn('count.critical', r.critical)}\n\n")
        width = max((len(o.name) for o in r.observations), default=10)
        width = min(max(width, 8), 24)
        for o in r.observations:
            name = safe_text(o.name, multiline=False, style="bold")
            name.truncate(width, pad=True)
            out.append_text(name)
            out.append("  ")
            value = safe_text(f"{num(o.value, o.value_text)} {o.unit}".strip(), multiline=False)
            value.truncate(16, pad=True)
            out.append_text(value)
            marker = flag_marker(o)
            out.append(f"{marker:<{FLAG_WIDTH}}", style="bold reverse" if o.critical else "bold")
            rng = range_of(o)
            if rng:
                out.append(f"  {t('result.range')} ")
                out.append_text(safe_text(f"{rng} {o.unit}".strip(), multiline=False))
            out.append("\n")
            out.append_text(trend(o, tz))
        if r.restricted_records:
            out.append("\n" + tn("result.restricted", r.restricted_records) + "\n")
        if r.conclusion:
            out.append("\n")
            heading(out, t("result.conclusion"))
            out.append_text(safe_text(r.conclusion))
            out.append("\n")

    def action_release(self) -> None:
        self.prompt(
            t("release.title"),
            t("release.explain"),
            lambda comment: self.decide(
                "release", t("done.release"), lambda i: self.happ.client.release(i, comment=comment)
            ),
        )

    def action_mark_reviewed(self) -> None:
        self.prompt(
            t("review.title"),
            t("review.explain"),
            lambda note: self.decide(
                "mark_reviewed", t("done.mark_reviewed"), lambda i: self.happ.client.mark_reviewed(i, note=note)
            ),
            required=False,
        )


__all__ = ["ResultScreen", "flag_marker", "trend"]
