"""The actions the keys of the app and its screens offer: one table of binding ids.

Every binding of the app and of the screens that the keymap can move carries an id from
`ACTIONS` (its action name: "claim", "reply", ...), given by `with_ids` where the class declares
its BINDINGS. The keymap of the settings file (`[keys]` in config.toml: id = "key", keys.py) is
checked against this table and applied with Textual's `App.set_keymap`, so one override moves the
action on every screen that offers it, and the footer and the help screen show the key in effect.
The catalog test checks that every id has its text in each language.

Depends on nothing of the app above it (Textual's Binding and the catalogs only).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from textual.binding import Binding, BindingType

from .i18n import translate_description

ACTIONS: dict[str, str] = {  # binding id -> the catalog key of what it does
    "absence": "action.absence",
    "acknowledge": "action.acknowledge",
    "acknowledge_all": "action.acknowledge_all",
    "approve": "action.approve",
    "ask_info": "action.ask_info",
    "attachments": "action.attachments",
    "back": "action.back",
    "batch": "action.batch",
    "break_glass": "action.break_glass",
    "cancel": "action.cancel",
    "cancel_search": "action.cancel_search",
    "claim": "action.claim",
    "claim_next": "action.claim_next",
    "clear_marks": "action.clear_marks",
    "close": "action.close",
    "command_palette": "action.help_more",
    "complete": "action.complete",
    "confirm": "action.confirm",
    "confirm_time": "action.confirm_time",
    "decline": "action.decline",
    "deny": "action.deny",
    "filter_owner": "action.filter_owner",
    "filter_status": "action.filter_status",
    "filter_type": "action.filter_type",
    "filters": "action.filters",
    "forward": "action.forward",
    "lock": "action.lock",
    "mark_all": "action.mark_all",
    "mark_reviewed": "action.mark_reviewed",
    "new_message": "action.new_message",
    "next_pool": "action.next_pool",
    "note": "action.note",
    "open": "action.open",
    "open_palette": "action.palette",
    "pend": "action.pend",
    "phone_message": "action.phone_message",
    "pick_pool": "action.pools",
    "propose_time": "action.propose_time",
    "quit": "action.quit",
    "release": "action.release",
    "reload": "action.refresh",
    "remove_attachment": "action.remove_attachment",
    "reopen": "action.reopen",
    "reply": "action.reply",
    "route": "action.route",
    "run": "action.run_batch",
    "scope": "action.library_scope",
    "search": "action.search",
    "send": "action.send",
    "send_done_next": "action.send_done_next",
    "sort": "action.sort",
    "templates": "action.templates",
    "toggle_language": "action.language",
    "toggle_mark": "action.mark",
    "toggle_theme": "action.theme",
    "unclaim": "action.unclaim",
    "unlock": "lock.unlock",
}


def with_ids(*bindings: BindingType) -> list[BindingType]:
    """`bindings` with the id of the actions table on each: its action name (without "app.")."""
    out: list[BindingType] = []
    for b in bindings:
        if isinstance(b, Binding) and b.id is None:
            binding_id = b.action.split(".")[-1]
            if binding_id not in ACTIONS:
                raise KeyError(f"binding {binding_id!r} is not in the actions table (actions.py)")
            b = dataclasses.replace(b, id=binding_id)
        out.append(b)
    return out


def translate_bindings(node: Any) -> None:
    """Give the key bindings of `node` (a screen or the app) their descriptions in the current
    language. Bindings are declared with `t(...)` at import time, in whichever language was
    current then; this maps each description back to its catalog key and translates it again.
    (Textual has no public way to change a description once a node is built.)"""
    bindings_map = getattr(node, "_bindings", None)
    if bindings_map is None:
        return
    for key, bindings in bindings_map.key_to_bindings.items():
        bindings_map.key_to_bindings[key] = [
            dataclasses.replace(b, description=translate_description(b.description)) for b in bindings
        ]
