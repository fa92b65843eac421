"""The HelsaMi Innboks terminal app."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from typing import Any, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from .client.api import PortalClient
from .client.errors import AccessDenied, ClientError, Conflict, NotSignedIn, Offline
from .client.events import Event, follow_events
from .client.models import InboxItem, Me
from .config import Settings
from .i18n import current_language, set_language, t, translate_description
from .messages import ConnectionState, ItemChanged, ItemGone
from .theme import HIGH_CONTRAST_THEME, choose_theme, register_themes

MIN_WIDTH, MIN_HEIGHT = 80, 24


def describe_error(e: Exception) -> str:
    """What to tell the user about a failure: the portal's own plain words, never a traceback."""
    if isinstance(e, Offline):
        return t("app.offline")
    if isinstance(e, NotSignedIn):
        return t("error.signed_out")
    if isinstance(e, (Conflict, AccessDenied, ClientError)):
        return str(e)
    return t("app.error", message=type(e).__name__)


def conflict_text(c: Conflict, me_ref: str | None) -> str:
    """A conflict in plain words with the item's current state (who holds it now), in the
    user's language; the portal's own sentence when the state says nothing more."""
    cur = c.current
    if cur is not None:
        if cur.status == "completed":
            return t("conflict.completed")
        if cur.claimed and cur.owner_ref != me_ref:
            return t("conflict.claimed_by", name=cur.owner_display or cur.owner_ref)
        if cur.owner_ref.startswith("Practitioner/") and cur.owner_ref != me_ref:
            return t("conflict.forwarded_to", name=cur.owner_display or cur.owner_ref)
    if c.stale:
        return t("conflict.changed")
    return str(c)


def translate_bindings(node: Any) -> None:
    """Give the key bindings of `node` (a screen or the app) their descriptions in the current
    language. Bindings are declared with `t(...)` at import time, in whichever language was
    current then; this maps each description back to its catalog key and translates it again."""
    bindings_map = getattr(node, "_bindings", None)
    if bindings_map is None:
        return
    for key, bindings in bindings_map.key_to_bindings.items():
        bindings_map.key_to_bindings[key] = [
            dataclasses.replace(b, description=translate_description(b.description)) for b in bindings]


class HelsamiApp(App[None]):
    TITLE = "HelsaMi Innboks"
    ENABLE_COMMAND_PALETTE = False  # Textual's palette is English only and offers nothing extra
    CSS = """
    Screen { layers: base overlay; }
    #offline { dock: top; height: 1; background: $warning; color: $background; text-style: bold;
               display: none; padding: 0 1; }
    #offline.shown { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", t("action.help")),
        Binding("question_mark", "help", t("action.help"), show=False),
        Binding("f9", "toggle_language", t("action.language")),
        Binding("f8", "toggle_theme", t("action.theme")),
        Binding("f12", "lock", t("action.lock"), show=False),
        Binding("ctrl+q", "quit", t("action.quit"), show=False, priority=True),
    ]

    def __init__(self, client: PortalClient, settings: Settings, *, demo_user: str | None = None,
                 relogin: Any = None, keyring_note: str | None = None,
                 now: Any = None, tz: dt.tzinfo | None = None) -> None:
        super().__init__()
        self._now = now  # a callable giving the current time (tests freeze it); None: the clock
        self.tz = tz  # time zone that times are shown in; None: the machine's
        self.too_small = False
        self.client = client
        self.settings = settings
        self.demo_user = demo_user
        self.relogin = relogin  # async callable that signs in again (unlock)
        self.keyring_note = keyring_note
        self.me: Me | None = None
        self.online = True
        self.last_input = time.monotonic()
        self.locked = False
        self._event_task: asyncio.Task[Any] | None = None
        register_themes(self)
        self.theme = choose_theme(settings.theme)
        try:
            set_language(settings.language)
        except ValueError:
            set_language("nb")
        translate_bindings(self)

    # -- life cycle ---------------------------------------------------------------------------
    async def on_mount(self) -> None:
        from .screens.inbox import InboxScreen
        from .screens.message import MessageScreen

        from .client.api import Outbox

        self.outbox = Outbox(self.client, on_sent=self._outbox_sent, on_failed=self._outbox_failed)
        self._outbox_task = asyncio.create_task(self.outbox.run())
        if self.keyring_note:
            self.notify(self.keyring_note, severity="warning", timeout=10)
        from .keys import apply_keymap

        unknown = apply_keymap(self, self.settings.keys)
        if unknown:
            self.notify(t("keys.unknown", names=", ".join(unknown)), severity="warning", timeout=10, markup=False)
        try:
            self.me = await self.client.whoami()
        except Exception as e:  # noqa: BLE001 - shown to the user in plain words
            self.push_screen(MessageScreen(t("error.start"), describe_error(e), quit_on_close=True))
            return
        if not self.me.works_in_inbox:
            from .screens.support import SupportScreen
            self.push_screen(SupportScreen())
        elif self.me.has_role("switchboard") and not self.me.sees_clinical:
            from .screens.intake import IntakeScreen
            self.push_screen(IntakeScreen())  # the switchboard's fast read-route-next view
            self._event_task = asyncio.create_task(self._follow())
        else:
            self.push_screen(InboxScreen())
            # Only inbox users follow the stream: for others every event would be a refused read.
            self._event_task = asyncio.create_task(self._follow())
        # The idle lock starts once the first screen is up (a screen pushed later would cover it).
        minutes = self.settings.idle_lock_minutes
        self.last_input = time.monotonic()
        self.set_interval(max(0.2, min(5.0, minutes * 60 / 4)) if minutes > 0 else 5.0, self._check_idle)

    async def on_unmount(self) -> None:
        if self._event_task:
            self._event_task.cancel()
        self._outbox_task.cancel()

    def _outbox_sent(self, entry: Any) -> None:
        if entry.result is not None:
            self._set_online(True)
            self._broadcast(ItemChanged(entry.result.item, "reply"))

    def _outbox_failed(self, entry: Any) -> None:
        self.notify(describe_error(entry.error) if entry.error else t("app.error", message="reply"),
                    severity="error", timeout=10, markup=False)

    def now(self) -> dt.datetime:
        if self._now is not None:
            return self._now()  # type: ignore[no-any-return]
        return dt.datetime.now(dt.timezone.utc)

    def today(self) -> dt.date:
        return self.now().astimezone(self.tz).date()

    def local(self, value: dt.datetime) -> dt.datetime:
        """`value` in the time zone times are shown in."""
        return value.astimezone(self.tz)

    # -- screens get their key descriptions in the current language ---------------------------
    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(screen, Screen):
            translate_bindings(screen)
        return super().push_screen(screen, *args, **kwargs)

    # -- live events --------------------------------------------------------------------------
    async def _follow(self) -> None:
        def on_state(online: bool) -> None:
            self._set_online(online)

        try:
            await follow_events(self.client, self._on_event, on_state=on_state)
        except (NotSignedIn, AccessDenied):
            return

    async def _on_event(self, ev: Event) -> None:
        if not ev.task_id or self.locked:
            return
        try:
            item = await self.client.task(ev.task_id, now=self.now())
        except (AccessDenied, ClientError):
            self._broadcast(ItemGone(ev.task_id))
            return
        self._broadcast(ItemChanged(item, ev.action))

    def _broadcast(self, message: Any) -> None:
        for screen in self.screen_stack:
            screen.post_message(message)

    def _set_online(self, online: bool) -> None:
        if online == self.online:
            return
        self.online = online
        self._broadcast(ConnectionState(online))
        if online:
            self.notify(t("app.reconnected"), timeout=3)
            self.outbox.wake()  # queued replies go out now, not at the next back-off tick

    def report(self, e: Exception) -> None:
        """Tell the user what went wrong, in plain words; mark offline if it is the network."""
        if isinstance(e, Offline):
            self._set_online(False)
        text = conflict_text(e, self.me.resource if self.me else None) if isinstance(e, Conflict) else describe_error(e)
        self.notify(text, severity="warning" if isinstance(e, Conflict) else "error", timeout=8, markup=False)

    # -- idle lock ----------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp,
                              events.Paste)):
            self.last_input = time.monotonic()
        await super().on_event(event)

    def _check_idle(self) -> None:
        minutes = self.settings.idle_lock_minutes
        if minutes > 0 and not self.locked and time.monotonic() - self.last_input > minutes * 60:
            self.action_lock()

    def action_lock(self) -> None:
        from .screens.lock import LockScreen

        if self.locked:
            return
        self.locked = True
        self.push_screen(LockScreen(), callback=lambda _: self._unlocked())

    def _unlocked(self) -> None:
        self.locked = False
        self.last_input = time.monotonic()
        # Events were not fetched while locked (no patient data read for an absent user).
        for screen in self.screen_stack:
            if hasattr(screen, "catch_up"):
                screen.catch_up()

    # -- preferences --------------------------------------------------------------------------
    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_toggle_language(self) -> None:
        set_language("en" if current_language() == "nb" else "nb")
        self.notify(t("app.language_changed", language=current_language()), timeout=3)
        translate_bindings(self)
        for screen in self.screen_stack:
            translate_bindings(screen)
            if hasattr(screen, "retranslate"):
                screen.retranslate()
        self.refresh_bindings()

    def action_toggle_theme(self) -> None:
        self.theme = "helsami" if self.theme == HIGH_CONTRAST_THEME else HIGH_CONTRAST_THEME
        self.notify(t("app.theme_changed", theme=self.theme), timeout=3)

    def on_resize(self, event: events.Resize) -> None:
        small = event.size.width < MIN_WIDTH or event.size.height < MIN_HEIGHT
        if small and not self.too_small:  # tell once per shrink, not at every resize step
            self.notify(t("app.terminal_too_small", width=MIN_WIDTH, height=MIN_HEIGHT), severity="warning",
                        timeout=30)
        elif not small and self.too_small:
            self.clear_notifications()
        self.too_small = small

    @work(exclusive=False, group="actions")
    async def item_action(self, screen: Screen[Any], op: str, item: InboxItem, **kw: Any) -> None:
        """Claim, unclaim, complete or forward an item; the result goes to every screen."""
        fn = getattr(self.client, op)
        try:
            new = await fn(item, **kw)
        except Conflict as c:
            self.report(c)
            if c.current is not None:
                self._broadcast(ItemChanged(c.current, "conflict"))
            return
        except AccessDenied as e:
            self.report(e)
            self._broadcast(ItemGone(item.id))
            return
        except Exception as e:  # noqa: BLE001
            self.report(e)
            return
        self._set_online(True)
        self._broadcast(ItemChanged(new, op))
        self.notify(t(f"done.{op}"), timeout=3)
