"""For roles without an inbox (IT support, privacy officer): inbox set-up and queue health, with
no patient data at all (only counts, ages, inbox and staff directory names, portal software)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Static

from ..actions import with_ids
from ..client.errors import ClientError
from ..client.models import NotificationHealth, PortalStatus, Queue
from ..host import ReportsFailures
from ..i18n import format_age, format_datetime, t, tn
from ..refusals import error_text, reason_text
from ..safetext import safe_text
from ..widgets.footer import Footer

if TYPE_CHECKING:
    from ..host import AppHost


def _minutes(value: float | None) -> str:
    if value is None:
        return "–"
    return format_age(value * 60)


def _response(q: Queue) -> str:
    if q.response_value is None:
        return "–"
    n = int(q.response_value) if float(q.response_value).is_integer() else q.response_value
    if q.response_unit in ("d", "day", "days", ""):
        return t("support.days", n=n)
    return f"{n} {q.response_unit}"


def portal_line(status: PortalStatus) -> Text:
    out = Text(f"{t('support.portal')}: ", style="bold")
    if status.reachable:
        out.append_text(safe_text(f"{status.name} {t('support.version')} {status.version}", multiline=False))
        ms = f"{status.latency_ms:.0f}" if status.latency_ms is not None else "?"
        out.append(f" · {t('support.health_ok', ms=ms)}")
    else:
        out.append_text(safe_text(t("support.health_down", error=reason_text(status.reason, status.reason_args))))
    return out


def queues_text(queues: list[Queue]) -> Text:
    """Every inbox: set-up, members, depth. Inbox and staff names are directory data."""
    names = {q.id: q.name for q in queues}
    out = Text()
    out.append(tn("support.count", len(queues)) + "\n\n", style="bold")
    for q in queues:
        out.append_text(safe_text(q.name, multiline=False, style="bold"))
        if not q.active:
            out.append(f"  {t('support.inactive')}", style="bold")
        out.append("\n  ")
        out.append(f"{t('support.organization')}: ")
        out.append_text(safe_text(q.organization or "–", multiline=False))
        kind = t(f"support.kind.{q.kind}") if q.kind in ("clinical", "intake", "direct") else (q.kind or "–")
        out.append(f" · {t('support.kind')}: ")
        out.append_text(safe_text(kind, multiline=False))
        out.append("\n  ")
        out.append(f"{t('support.backup')}: ")
        backup_id = q.backup.removeprefix("HealthcareService/")
        out.append_text(safe_text(names.get(backup_id, backup_id) if backup_id else t("support.none"), multiline=False))
        if backup_id:
            out.append(f", {t('support.delay')} {_minutes(q.delay_minutes)}")
        out.append(f" · {t('support.response')}: {_response(q)}\n  ")
        oldest = format_age(q.oldest_unopened_seconds) if q.oldest_unopened_seconds is not None else "–"
        out.append(
            f"{t('support.waiting')}: {q.waiting} · {t('support.claimed')}: {q.claimed} · "
            f"{t('support.oldest')}: {oldest} · {t('support.escalated')}: {q.escalated_last_24h}\n  "
        )
        out.append(f"{t('support.members')}: ")
        if not q.member_list:
            out.append(t("support.none"))
        for i, m in enumerate(q.member_list):
            if i:
                out.append(", ")
            out.append_text(safe_text(m.name or m.ref, multiline=False))
            roles = ", ".join(t(f"role.{r}") if r in _ROLES else r for r in m.roles)
            if roles:
                out.append(" (")
                out.append_text(safe_text(roles, multiline=False))
                out.append(")")
        out.append("\n\n")
    return out


_ROLES = ("physician", "nurse", "switchboard", "it-support", "privacy-officer", "library-editor")


def _channel(name: str) -> str:
    return t(f"support.notify.channel.{name}") if name in ("email", "sms") else name


def _error(code: str) -> str:
    if code == "expired":
        return t("support.notify.expired")
    if code.startswith("gave-up:"):
        return f"{t('support.notify.gave_up')} ({code.removeprefix('gave-up:')})"
    return code


def notifications_text(h: NotificationHealth, shown: int = 5) -> Text:
    """The notification outbox: channels, counts, the oldest waiting and the latest failures (codes)."""
    out = Text(t("support.notify.title") + "\n", style="bold")
    if not h.supported:
        out.append(t("support.notify.unsupported") + "\n\n")
        return out
    channels = ", ".join(_channel(c) for c in h.channels) or t("support.notify.none_set_up")
    out.append("  ")
    out.append_text(safe_text(t("support.notify.channels", channels=channels), multiline=False))
    out.append(
        "\n  "
        + t("support.notify.counts", sent=h.sent, pending=h.pending, retrying=h.retrying, failed=h.failed_last_24h)
    )
    if h.oldest_pending_seconds is not None:
        out.append(" · " + t("support.notify.oldest", age=format_age(h.oldest_pending_seconds)))
    out.append("\n  ")
    if not h.failures:
        out.append(t("support.notify.no_failures") + "\n\n")
        return out
    out.append(t("support.notify.latest") + "\n")
    for f in h.failures[:shown]:
        when = format_datetime(f.failed) if f.failed is not None else "–"
        out.append("    ")
        out.append_text(
            safe_text(
                f"{when} · {_channel(f.channel)} · {tn('support.notify.attempts', f.attempts)} · {_error(f.error)}",
                multiline=False,
            )
        )
        out.append("\n")
    out.append("\n")
    return out


class SupportScreen(ReportsFailures, Screen[None]):
    CSS = """
    #support-head { height: auto; padding: 0 1; background: $panel; }
    #support-body { height: 1fr; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("f5", "reload", t("action.refresh")),
        Binding("q", "app.quit", t("action.quit")),
    )

    def compose(self) -> ComposeResult:
        yield Static(Text(t("support.title"), style="bold"), id="support-head")
        with VerticalScroll(id="support-body"):
            yield Static(Text(t("app.loading")), id="portal")
            yield Static(Text(""), id="notifications")
            yield Static(Text(""), id="queues")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    def retranslate(self) -> None:
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        app: AppHost = self.app  # type: ignore[assignment]
        me = app.me
        head = Text(t("support.title") + "\n", style="bold")
        if me is not None:
            head.append(t("support.signed_in_as") + " ")
            head.append_text(safe_text(me.display, multiline=False))
            roles = ", ".join(t(f"role.{r}") if r in _ROLES else r for r in me.roles)
            head.append(" (")
            head.append_text(safe_text(roles, multiline=False))
            head.append(")")
        status = await app.client.portal_status()
        try:
            self.query_one("#support-head", Static).update(head)
            self.query_one("#portal", Static).update(portal_line(status))
        except NoMatches:
            return
        try:
            outbox = notifications_text(await app.client.notifications())
        except ClientError as e:
            outbox = safe_text(error_text(e))
        try:
            self.query_one("#notifications", Static).update(outbox)
        except NoMatches:
            return
        try:
            queues = await app.client.queues()
        except ClientError as e:
            body = safe_text(error_text(e))
        else:
            body = queues_text(queues)
        try:
            self.query_one("#queues", Static).update(body)
        except NoMatches:
            return
