"""The app's screens. `item_screen` picks the screen an inbox item opens in."""

from __future__ import annotations

from typing import Any


def item_screen(item: Any, **kw: Any) -> Any:
    """The screen for an item: the decision screen of its type (renewal, result, questionnaire,
    appointment request), else the generic item screen (thread, banner, clinical panel)."""
    if not kw:
        if item.type == "renewal":
            from .renewal import RenewalScreen

            return RenewalScreen(item)
        if item.type == "result":
            from .result import ResultScreen

            return ResultScreen(item)
        if item.type == "questionnaire":
            from .questionnaire import QuestionnaireScreen

            return QuestionnaireScreen(item)
        if item.type == "appointment":
            from .appointment import AppointmentScreen

            return AppointmentScreen(item)
    from .item import ItemScreen

    return ItemScreen(item, **kw)
