"""Key overrides from the settings file (`[keys]` in config.toml: action = "key").

Every binding of the app's screens gets an id equal to its action name ("claim", "reply", ...),
so one override moves the action on every screen that offers it, and the footer and the help
screen show the key in effect.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from textual.app import App
from textual.binding import Binding


def _screen_classes() -> list[type[Any]]:
    from .screens import (absence, appointment, break_glass, decision, forward, help, inbox, intake, item, lock,
                          message, phone, pools, questionnaire, renewal, reply, result, support)

    mods = (break_glass, forward, help, inbox, item, lock, message, pools, reply, support,
            decision, renewal, result, questionnaire, appointment, intake, phone, absence)
    out: list[type[Any]] = []
    for mod in mods:
        for value in vars(mod).values():
            if isinstance(value, type) and "BINDINGS" in value.__dict__ and value.__module__ == mod.__name__:
                out.append(value)
    return out


def assign_ids(classes: list[type[Any]]) -> set[str]:
    """Give every binding without an id its action name as id; returns the ids in use."""
    ids: set[str] = set()
    for cls in classes:
        changed = False
        new = []
        for b in cls.__dict__.get("BINDINGS", []):
            if isinstance(b, Binding):
                if b.id is None:
                    b = dataclasses.replace(b, id=b.action.split(".")[-1])
                    changed = True
                ids.add(str(b.id))
            new.append(b)
        if changed:
            cls.BINDINGS = new
            cls._merged_bindings = cls._merge_bindings()
    return ids


def apply_keymap(app: App[Any], overrides: dict[str, str]) -> list[str]:
    """Apply the user's overrides; returns the names that match no action (to tell the user)."""
    ids = assign_ids([type(app), *_screen_classes()])
    unknown = sorted(k for k in overrides if k not in ids)
    keymap = {k: v for k, v in overrides.items() if k in ids and v.strip()}
    if keymap:
        app.set_keymap(keymap)
    return unknown


def key_for(app: App[Any], binding: Binding) -> str:
    """The key in effect for a binding (an override from the settings wins)."""
    keymap: dict[str, str] = getattr(app, "_keymap", {}) or {}
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    return binding.key
