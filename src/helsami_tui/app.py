"""The HelsaMi Innboks terminal app."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker

from . import clinical_time
from .actions import translate_bindings, with_ids
from .client.api import PortalClient
from .client.errors import AccessDenied, ClientError, Conflict, NotSignedIn, Offline
from .client.events import Event, follow_events
from .client.models import InboxItem, Me, Pools
from .collector import FullCollections
from .config import Settings
from .failures import conflict_text, describe_error, drop_request, unreported
from .host import AppHost, ItemCall, report_failed_worker
from .i18n import current_language, language_name, set_language, t
from .keys import apply_keymap
from .messages import ConnectionState, ItemChanged, ItemGone
from .shell import ShellApp
from .startup import EarlyStart, taken
from .theme import HIGH_CONTRAST_THEME, choose_theme, register_themes

MIN_WIDTH, MIN_HEIGHT = 80, 24


class HelsamiApp(ShellApp):
    TITLE = "HelsaMi Innboks"
    # The footer's command-palette slot is docked at its right end: it shows F1 "Mer (hjelp)", so
    # however narrow the terminal, the footer never hides an action without saying where the rest
    # are (F1 opens the help). Textual's command palette itself is Ctrl+P, with its texts and
    # commands from the catalogs (palette.py).
    ENABLE_COMMAND_PALETTE = True
    COMMAND_PALETTE_BINDING = "f1"
    CSS = """
    Screen { layers: base overlay; }
    #offline { dock: top; height: 1; background: $warning; color: $background; text-style: bold;
               display: none; padding: 0 1; }
    #offline.shown { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("f1", "command_palette", t("action.help_more"), show=False),  # opens the help: see above
        Binding("question_mark", "command_palette", t("action.help_more"), show=False),
        Binding("f9", "toggle_language", t("action.language")),
        Binding("f8", "toggle_theme", t("action.theme")),
        Binding("f12", "lock", t("action.lock"), show=False, priority=True),  # also while typing a reply
        Binding("ctrl+q", "quit", t("action.quit"), show=False, priority=True),
        Binding("ctrl+p", "open_palette", t("action.palette"), show=False, priority=True),
    )

    def __init__(
        self,
        client: PortalClient,
        settings: Settings,
        *,
        demo_user: str | None = None,
        relogin: Any = None,
        keyring_note: str | None = None,
        now: Any = None,
        tz: dt.tzinfo | None = None,
        sign_in: bool = False,
        early: EarlyStart | None = None,
    ) -> None:
        """`early`: the start-up requests, sent on a thread before this module was loaded
        (startup.py, from `cli`); without it the app sends them itself when it loads."""
        super().__init__()
        self.sign_in_first = sign_in  # no session yet: the sign-in screen comes first (screens/sign_in.py)
        self._now = now  # a callable giving the current time (tests freeze it); None: the clock
        # The clinical zone times are shown and typed in (the setting, else Europe/Oslo), never the host's.
        self.tz: dt.tzinfo = tz or settings.clinical_zone()
        clinical_time.use(self.tz)  # every clinical time of this process, shown or typed, is in it
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
        self._early: tuple[asyncio.Future[Me], asyncio.Future[Pools]] | None = None
        self._early_sent = early
        self._early_page: asyncio.Future[Any] | None = None
        register_themes(self)
        self.theme = choose_theme(settings.theme)
        try:
            set_language(settings.language)
        except ValueError:
            set_language("nb")
        self.title = t("app.title")
        translate_bindings(self)

    # -- life cycle ---------------------------------------------------------------------------
    def on_load(self) -> None:
        """Before the terminal is set up and the first screen built: send the start-up requests,
        so that the portal works on them while this process builds its screen. Not before a sign-in
        (no session yet: they could only be refused, and the sign-in screen comes first)."""
        sent, self._early_sent = self._early_sent, None
        if sent is not None and not self.sign_in_first:  # sent before this module was loaded: taken
            self._early = (
                asyncio.ensure_future(self._early_whoami(sent)),
                asyncio.ensure_future(taken(sent.pools, self.client.pools)),
            )
            if sent.first_page is not None:
                self._early_page = asyncio.wrap_future(sent.first_page)
        elif sent is not None:
            sent.drop()
        if not self.sign_in_first:
            if self._early is None:
                self._early = (asyncio.ensure_future(self.client.whoami()), asyncio.ensure_future(self.client.pools()))
            from .screens.inbox import InboxScreen

            self.load_screen_css(InboxScreen)  # parsed with the app's CSS, not again when it is pushed

    async def _early_whoami(self, sent: EarlyStart) -> Me:
        """Who is signed in, as the early request found out: this client's user from now on."""
        me = await taken(sent.whoami, self.client.whoami)
        self.client.me = me
        return me

    async def on_mount(self) -> None:
        from .client.api import Outbox

        # CPython's full garbage collections (55-85 ms) run between keys, not during one (collector.py).
        self._collections = FullCollections(lambda: self.last_input)
        self._collections.hold()
        self.set_interval(1.0, self._collections.tick)

        self.outbox = Outbox(self.client, on_sent=self._outbox_sent, on_failed=self._outbox_failed)
        self._outbox_task = asyncio.create_task(self.outbox.run())
        # Back from a suspension (another program had the terminal): what it shows is not known.
        self.app_resume_signal.subscribe(self, lambda _app: self._frames.reset())
        if self.keyring_note:
            self.notify(self.keyring_note, severity="warning", timeout=10)
        unknown = apply_keymap(self, self.settings.keys)
        if unknown:
            self.notify(t("keys.unknown", names=", ".join(unknown)), severity="warning", timeout=10, markup=False)
        if self.sign_in_first:
            from .screens.sign_in import SignInScreen

            self.push_screen(SignInScreen(self.settings.portal), callback=self._signed_in)
            return
        await self._begin()

    async def _signed_in(self, tokens: Any) -> None:
        self.client.use_tokens(tokens)  # kept as every renewal is (the keyring, or memory only)
        await self._begin()

    async def _begin(self) -> None:
        if not await self._start():
            return
        # The idle lock starts once the first screen is up (a screen pushed later would cover it).
        minutes = self.settings.idle_lock_minutes
        self.last_input = time.monotonic()
        self.set_interval(max(0.2, min(5.0, minutes * 60 / 4)) if minutes > 0 else 5.0, self._check_idle)

    async def _start(self) -> bool:
        """Find out who is signed in and show their first screen (and follow the event stream)."""
        from .opening import opening_page, opens_inbox
        from .screens.inbox import InboxScreen
        from .screens.message import MessageScreen

        # The start-up requests go out at once: who is signed in, and the inboxes with their
        # counts (what the inbox asks first), rather than one after the other; at the first start
        # they went out before Textual built the first screen (on_load).
        early, self._early = self._early, None
        who, pools = early or (asyncio.ensure_future(self.client.whoami()), asyncio.ensure_future(self.client.pools()))
        sent_page, self._early_page = self._early_page, None  # the first page, when sent from cli
        try:
            self.me = await who
        except Exception as e:  # noqa: BLE001 - deliberate: any failure to start is a message screen, not a crash
            drop_request(pools)
            if sent_page is not None:
                drop_request(sent_page)
            if isinstance(e, NotSignedIn) and self.demo_user is None:  # a saved session that has ended
                from .screens.sign_in import SignInScreen

                self.push_screen(SignInScreen(self.settings.portal), callback=self._signed_in)
                return False
            self.push_screen(MessageScreen(t("error.start"), describe_error(e), quit_on_close=True))
            return False
        if not opens_inbox(self.me):
            drop_request(pools)  # a screen of its own, which asks for what it needs
            if sent_page is not None:
                drop_request(sent_page)
        if self.me.has_role("privacy-officer") and not self.me.works_in_inbox:
            from .screens.access_log import AccessLogScreen

            self.push_screen(AccessLogScreen())  # the access log, by patient or staff member
        elif not self.me.works_in_inbox:
            from .screens.support import SupportScreen

            self.push_screen(SupportScreen())
        elif self.me.has_role("switchboard") and not self.me.sees_clinical:
            from .screens.intake import IntakeScreen

            self.push_screen(IntakeScreen())  # the switchboard's fast read-route-next view
            self._event_task = asyncio.create_task(self._follow())
        else:
            # The first page of the inbox it opens in goes out as soon as the inboxes answer,
            # while the screen is being built (it waited for the screen's first layout).
            def ask() -> Any:
                return opening_page(self.client, pools, self.size.height, self.now())

            first = asyncio.ensure_future(taken(sent_page, ask) if sent_page is not None else ask())
            unreported(first)  # a failure is the screen's to report
            self.push_screen(InboxScreen(pools=pools, first_page=first))
            # Only inbox users follow the stream: for others every event would be a refused read.
            # It starts where the inboxes were read, before the first page: a change made after
            # the page was read and before the stream opened is not missed.
            self._event_task = asyncio.create_task(self._follow(pools))
        return True

    async def on_unmount(self) -> None:
        if self._early:
            for future in self._early:
                drop_request(future)
        if self._early_page is not None:
            drop_request(self._early_page)
        if self._early_sent is not None:
            self._early_sent.drop()
        self._collections.release()
        if self._event_task:
            self._event_task.cancel()
        self._outbox_task.cancel()

    def _outbox_sent(self, entry: Any) -> None:
        if entry.result is not None:
            self.mark_online(True)
            self.announce_item_changed(entry.result.item, "reply")

    def _outbox_failed(self, entry: Any) -> None:
        text = describe_error(entry.error) if entry.error else t("reply.not_sent")
        self.notify(text, severity="error", timeout=10, markup=False)

    def now(self) -> dt.datetime:
        if self._now is not None:
            return self._now()  # type: ignore[no-any-return]
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.now().astimezone(self.tz).date()

    def local(self, value: dt.datetime) -> dt.datetime:
        """`value` in the clinical time zone (times are shown in it)."""
        return clinical_time.local(value, self.tz)

    # -- screens get their key descriptions in the current language ---------------------------
    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(screen, Screen):
            translate_bindings(screen)
        return super().push_screen(screen, *args, **kwargs)

    # -- live events --------------------------------------------------------------------------
    async def _follow(self, pools: Awaitable[Pools] | None = None) -> None:
        def on_state(online: bool) -> None:
            self.mark_online(online)

        since: str | None = None
        if pools is not None:
            try:
                since = (await pools).events_from
            except Exception:  # noqa: BLE001 - the inbox reports a failed $pools; the stream starts from now
                since = None
        try:
            await follow_events(self.client, self._on_event, since, on_state=on_state)
        except (NotSignedIn, AccessDenied):
            return

    async def _on_event(self, ev: Event) -> None:
        if not ev.task_id or self.locked:
            return
        try:
            item = await self.client.task(ev.task_id, now=self.now())
        except (AccessDenied, ClientError):
            self.announce_item_gone(ev.task_id)
            return
        self.announce_item_changed(item, ev.action)

    def _broadcast(self, message: Any) -> None:
        for screen in self.screen_stack:
            screen.post_message(message)

    def announce_item_changed(self, item: InboxItem, action: str = "") -> None:
        """Every screen learns of a newer version of an item (after an action, or a live event)."""
        self._broadcast(ItemChanged(item, action))

    def announce_item_gone(self, item_id: str) -> None:
        """Every screen learns that an item may no longer be seen (forwarded away, access withdrawn)."""
        self._broadcast(ItemGone(item_id))

    def mark_online(self, online: bool = True) -> None:
        """The portal answered (or the network failed): the banner and the outbox follow."""
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
            self.mark_online(False)
        text = conflict_text(e, self.me.resource if self.me else None) if isinstance(e, Conflict) else describe_error(e)
        self.notify(text, severity="warning" if isinstance(e, Conflict) else "error", timeout=8, markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failed_worker(self, event)  # the app's own workers: the same one handler

    # -- idle lock ----------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(
            event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp, events.Paste)
        ):
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

    async def sign_in_again(self, tokens: Any) -> bool:
        """After the lock: True when `tokens` are the same user's (their screens resume); another
        user's sign-in means a full sign-out of the one before, then a fresh start (False)."""
        who = await self.client.identify(tokens.access_token)
        me = self.me
        if me is not None and who.resource == me.resource and who.username == me.username:
            self.client.use_tokens(tokens, same_user=who)
            return True
        self.switch_user(tokens)
        return False

    @work(exclusive=True, group="sign-in")
    async def switch_user(self, tokens: Any) -> None:
        """Sign the previous user out completely (screens with what they showed, drafts not yet
        sent, break-the-glass views, caches, their session on the portal), then start afresh as
        the user of `tokens`. Nothing of the previous user's is ever shown to the new one."""
        from .client.api import Outbox

        if self._event_task:
            self._event_task.cancel()
            self._event_task = None
        # Work still running for the previous user (an action, a draft saved on closing) stops here,
        # so that none of it goes out later under the new user's token.
        for w in list(self.workers):
            if w.node is self and w.group != "sign-in":
                w.cancel()
        self.outbox.clear()  # replies queued in memory were the previous user's words
        self._outbox_task.cancel()
        self.outbox = Outbox(self.client, on_sent=self._outbox_sent, on_failed=self._outbox_failed)
        self._outbox_task = asyncio.create_task(self.outbox.run())
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        self.clear_notifications()
        self.me = None
        await self.client.sign_out()  # the previous user's tokens are revoked, not kept
        self.client.use_tokens(tokens)
        self.locked = False
        self.last_input = time.monotonic()
        if await self._start():
            self.notify(t("lock.other_user", name=self.me.display if self.me else ""), timeout=8, markup=False)

    def _unlocked(self) -> None:
        self.locked = False
        self.last_input = time.monotonic()
        # Events were not fetched while locked (no patient data read for an absent user).
        for screen in self.screen_stack:
            if hasattr(screen, "catch_up"):
                screen.catch_up()

    # -- preferences --------------------------------------------------------------------------
    def action_command_palette(self) -> None:
        self.action_help()  # F1, shown at the right end of the footer

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_open_palette(self) -> None:
        from .palette import HelsamiPalette

        if self.use_command_palette and not self.screen.has_class("--textual-command-palette"):
            self.push_screen(HelsamiPalette())

    def get_system_commands(self, screen: Screen[Any]) -> Any:
        from .palette import system_commands

        return system_commands(self, screen)

    def action_toggle_language(self) -> None:
        set_language("en" if current_language() == "nb" else "nb")
        self.title = t("app.title")
        self.notify(t("app.language_changed", language=language_name()), timeout=3)
        translate_bindings(self)
        for screen in self.screen_stack:
            translate_bindings(screen)
            if hasattr(screen, "retranslate"):
                screen.retranslate()
        self.refresh_bindings()

    def action_toggle_theme(self) -> None:
        self.theme = "helsami" if self.theme == HIGH_CONTRAST_THEME else HIGH_CONTRAST_THEME
        self.notify(t("app.theme_changed", theme=t(f"theme.{self.theme}")), timeout=3)

    def on_resize(self, event: events.Resize) -> None:
        small = event.size.width < MIN_WIDTH or event.size.height < MIN_HEIGHT
        if small and not self.too_small:  # tell once per shrink, not at every resize step
            self.notify(t("app.terminal_too_small", width=MIN_WIDTH, height=MIN_HEIGHT), severity="warning", timeout=30)
        elif not small and self.too_small:
            self.clear_notifications()
        self.too_small = small

    @work(exclusive=False, group="actions", exit_on_error=False)
    async def item_action(self, screen: Screen[Any], op: str, item: InboxItem, call: ItemCall) -> None:
        """Claim, unclaim, complete or forward an item (`call`: the client's typed call); the result
        goes to every screen, and the user is told `done.<op>`."""
        try:
            new = await call(item)
        except Conflict as c:
            self.report(c)
            if c.current is not None:
                self.announce_item_changed(c.current, "conflict")
            return
        except AccessDenied as e:
            self.report(e)
            self.announce_item_gone(item.id)
            return
        self.mark_online(True)
        self.announce_item_changed(new, op)
        self.notify(t(f"done.{op}"), timeout=3)


if TYPE_CHECKING:  # the app is what the screens take it for (host.py)
    _host: type[AppHost] = HelsamiApp
