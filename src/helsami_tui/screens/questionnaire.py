"""Questionnaire answers before a visit: each question and answer, the answers that need
attention marked with text ("! Trenger oppfølging") and why; mark reviewed."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from ..actions import with_ids
from ..client.reviews import Answer, QuestionnaireReview
from ..i18n import format_number, t, tn
from ..safetext import safe_text
from .decision import DecisionScreen, date_text, heading


def answer_text(a: Answer) -> str:
    """An answer in the user's language: yes/no and numbers for the locale; text as written."""
    if not a.values:
        return a.answer
    return ", ".join(
        t("quest.yes")
        if v is True
        else t("quest.no")
        if v is False
        else format_number(v)
        if isinstance(v, (int, float))
        else v
        for v in a.values
    )


class QuestionnaireScreen(DecisionScreen):
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("v", "mark_reviewed", t("action.mark_reviewed")),
    )

    review: QuestionnaireReview | None

    async def fetch_review(self) -> QuestionnaireReview:
        return await self.happ.client.questionnaire_review(self.item)

    def render_review(self, out: Text) -> None:
        r = self.review
        if r is None:  # drawn only once the review is in
            return
        heading(out, t("quest.title"))
        out.append_text(safe_text(r.title or r.url, multiline=False, style="bold"))
        out.append("\n")
        if r.authored:
            out.append(t("quest.authored", date=date_text(r.authored, self.happ.tz)) + "\n")
        out.append(tn("quest.count", r.attention) + "\n\n", style="bold" if r.attention else "")
        if not r.items:
            out.append(t("quest.no_answers") + "\n")
        for a in r.items:
            out.append_text(safe_text(a.question, multiline=False))
            out.append("\n  ")
            out.append_text(safe_text(answer_text(a), style="bold"))
            if a.attention or a.info:
                out.append("   ")
                out.append(
                    t("quest.attention") if a.attention else t("quest.info"),
                    style="bold reverse" if a.attention else "bold",
                )
                rule_key = f"quest.rule.{a.rule}"
                if a.rule and t(rule_key) != rule_key:
                    out.append(": " + t(rule_key))
                elif a.reason:
                    out.append(": ")
                    out.append_text(safe_text(a.reason, multiline=False))
            out.append("\n\n")

    def action_mark_reviewed(self) -> None:
        self.prompt(
            t("review.title"),
            t("review.explain"),
            lambda note: self.decide(
                "mark_reviewed", t("done.mark_reviewed"), lambda i: self.happ.client.mark_reviewed(i, note=note)
            ),
            required=False,
        )


__all__ = ["QuestionnaireScreen"]
