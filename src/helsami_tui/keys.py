"""Key overrides from the settings file (`[keys]` in config.toml: action = "key").

The names are the binding ids of the actions table (actions.py): every binding of the app's
screens carries its action name as id ("claim", "reply", ...), so one override moves the action on
every screen that offers it, with Textual's `App.set_keymap`; the footer and the help screen show
the key in effect. Depends on nothing of the app above it.
"""

from __future__ import annotations

from typing import Any

from textual.app import App

from .actions import ACTIONS


def apply_keymap(app: App[Any] | None, overrides: dict[str, str]) -> list[str]:
    """Apply the user's overrides; returns the names that match no action (to tell the user)."""
    unknown = sorted(k for k in overrides if k not in ACTIONS)
    keymap = {k: v for k, v in overrides.items() if k in ACTIONS and v.strip()}
    if keymap and app is not None:
        app.set_keymap(keymap)
    return unknown
