"""Batch triage: one action on all the items marked in the inbox.

`BatchActionPicker` asks which action, `BatchTargetPicker` where to forward; `BatchScreen` first
lists what will happen to each item (patient, item, action) and what the portal will refuse and why,
runs it on Enter (one batch Bundle through the client), and then shows one line per item with its
outcome, in the user's language. Items done are unmarked; refused ones stay marked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ..actions import with_ids
from ..client.batch import ACTIONS, Outcome, Step
from ..client.errors import ClientError, Conflict
from ..client.models import InboxItem, Target
from ..host import ReportsFailures
from ..i18n import t, tn
from ..marks import Marks
from ..refusals import error_text, reason_text
from ..safetext import safe_text
from ..templates import PATIENT, fill
from ..widgets.footer import Footer
from .dialogs import Dialog
from .reply_text import signature_of
from .targets import BatchTargetPicker, Picked

if TYPE_CHECKING:
    from ..host import AppHost

ORDER = ("release", "mark-reviewed", "approve", "complete", "claim", "forward")
_MODAL_CSS = """
    #title {{ text-style: bold; height: auto; }}
    #status {{ height: auto; }}
    #comment {{ height: 7; }}
    #comment-label {{ height: auto; }}
    #lines {{ height: 1fr; }}
    OptionList {{ height: auto; max-height: 20; }}
"""

# A modal screen hides the app's own (non-priority) keys: F9 switches the language here too.
LANGUAGE = Binding("f9", "app.toggle_language", t("action.language"), show=False)


def item_label(item: InboxItem) -> Text:
    """ "Patient · subject" as the user reads it (both untrusted: safe text)."""
    patient = safe_text(item.patient_name or item.patient_ref, multiline=False)
    subject = safe_text(item.subject, multiline=False) if item.subject else Text(t("batch.no_subject"))
    return Text.assemble(patient, " · ", subject)


class BatchActionPicker(Dialog[str | None]):
    CSS = _MODAL_CSS.format(name="BatchActionPicker")
    BINDINGS: ClassVar[list[BindingType]] = with_ids(Binding("escape", "close", t("action.close")), LANGUAGE)

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(Text(t("batch.pick.title") + " " + tn("batch.marked", self.count)), id="title")
            yield OptionList(*[Option(t(f"batch.action.{a}"), id=a) for a in ORDER], id="actions")
            yield Static(Text(t("help.batch")), id="status")
        yield Footer()

    def on_mount(self) -> None:
        box = self.query_one(OptionList)
        box.highlighted = 0
        box.focus()

    def retranslate(self) -> None:
        """F9 while open: the title, the actions and the help in the new language."""
        self.query_one("#title", Static).update(Text(t("batch.pick.title") + " " + tn("batch.marked", self.count)))
        box = self.query_one(OptionList)
        at = box.highlighted
        box.clear_options()
        box.add_options([Option(t(f"batch.action.{a}"), id=a) for a in ORDER])
        box.highlighted = at if at is not None else 0
        self.query_one("#status", Static).update(Text(t("help.batch")))

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)


class BatchScreen(ReportsFailures, Dialog[None]):
    """The confirmation (what will happen, what will be refused and why), then the outcome lines."""

    CSS = _MODAL_CSS.format(name="BatchScreen")
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("enter", "run", t("action.run_batch")),
        Binding("f5", "run", t("action.run_batch"), show=False, priority=True),  # also from the comment box
        Binding("escape", "close", t("action.close")),
        LANGUAGE,
    )

    def __init__(self, marks: Marks, action: str, *, target: Target | None = None) -> None:
        super().__init__()
        if action not in ACTIONS:
            raise ValueError(action)
        self.marks = marks
        self.action_name = action
        self.target = target
        self.steps: list[Step] = []
        self.outcomes: list[Outcome] = []
        self.state = "planning"  # planning | ready | running | done
        self.template = t("template.3.body")  # the comment as it opens, in the language it opened in
        self.status_key = ""  # what #status says while ready or running (catalog key), for F9

    @property
    def happ(self) -> AppHost:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(Text(t("batch.confirm.title", action=t(f"batch.action.{self.action_name}"))), id="title")
            if self.action_name == "release":
                yield Static(Text(t("batch.comment.label")), id="comment-label")
                yield TextArea(self.template, id="comment")
            with VerticalScroll(id="lines"):
                yield Static(Text(t("batch.planning")), id="plan")
            yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#lines").focus()
        self.plan()

    def retranslate(self) -> None:
        """F9 while open: everything on the screen in the new language (what the user wrote stays)."""
        self.query_one("#title", Static).update(
            Text(t("batch.confirm.title", action=t(f"batch.action.{self.action_name}")))
        )
        if self.action_name == "release":
            self.query_one("#comment-label", Static).update(Text(t("batch.comment.label")))
            comment = self.query_one("#comment", TextArea)
            if comment.text == self.template:  # untouched: the template in the new language
                self.template = t("template.3.body")
                comment.text = self.template
        if self.state == "planning":
            self.query_one("#plan", Static).update(Text(t("batch.planning")))
        elif self.state == "done":
            self.render_outcomes()
        elif self.steps:
            self.render_plan()
        if self.status_key and self.state in ("ready", "running"):
            self.query_one("#status", Static).update(Text(t(self.status_key)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "run":
            return self.state == "ready" and any(s.runs for s in self.steps)
        return True

    @work(exclusive=True, group="batch", exit_on_error=False)
    async def plan(self) -> None:
        target = self.target.ref if self.target is not None else ""
        try:
            self.steps = await self.happ.client.plan_batch(self.marks.items(), self.action_name, target=target)
        except ClientError as e:
            self.happ.report(e)
            self.query_one("#plan", Static).update(Text(error_text(e)))
            return
        self.state = "ready"
        self.render_plan()
        self.refresh_bindings()

    def _verb(self) -> str:
        name = self.target.name if self.target is not None else ""
        return t(f"batch.verb.{self.action_name}", target=name)

    def render_plan(self) -> None:
        runs = [s for s in self.steps if s.runs]
        refused = [s for s in self.steps if not s.runs]
        out = Text()
        if runs:
            out.append(tn("batch.confirm.will", len(runs)) + "\n", style="bold")
            for s in runs:
                # The target's name is the portal's text: safe text, like the item's.
                out.append_text(
                    Text.assemble("  → ", item_label(s.item), " — ", safe_text(self._verb(), multiline=False))
                )
                out.append("\n")
        if refused:
            out.append("\n" if runs else "")
            out.append(tn("batch.confirm.refused", len(refused)) + "\n", style="bold")
            for s in refused:
                out.append_text(
                    Text.assemble(
                        "  ✗ ",
                        item_label(s.item),
                        " — ",
                        safe_text(reason_text(s.reason, dict(s.args)), multiline=False),
                    )
                )
                out.append("\n")
        self.query_one("#plan", Static).update(out)
        if self.state == "ready":
            self.status_key = "batch.confirm.question" if runs else "batch.confirm.nothing"
            self.query_one("#status", Static).update(Text(t(self.status_key)))

    def action_run(self) -> None:
        if self.state != "ready" or not any(s.runs for s in self.steps):
            return
        comment = ""
        if self.action_name == "release":
            comment = self.query_one("#comment", TextArea).text.strip()
            if not comment:
                self.status_key = "batch.comment.empty"
                self.query_one("#status", Static).update(Text(t(self.status_key)))
                return
        self.state = "running"
        self.refresh_bindings()
        self.status_key = "batch.running"
        self.query_one("#status", Static).update(Text(t(self.status_key)))
        self.run_batch(comment)

    @work(exclusive=True, group="batch", exit_on_error=False)
    async def run_batch(self, comment: str) -> None:
        target = self.target.ref if self.target is not None else ""
        try:
            if comment:
                # The template's signature is the user's; its {patient} is each item's patient (the
                # client puts it in per entry). Seen: "Hei, {patient}!" was about to reach patients.
                profile = await self.happ.client.staff_profile()
                comment = fill(comment, patient=PATIENT, signature=signature_of(profile, self.happ.me))
            self.outcomes = await self.happ.client.run_batch(self.steps, comment=comment, target=target)
        except ClientError as e:
            self.state = "ready"
            self.status_key = ""  # the error stays as it was said
            self.refresh_bindings()
            self.happ.report(e)
            self.query_one("#status", Static).update(Text(error_text(e)))
            return
        self.happ.mark_online(True)
        self.state = "done"
        self.refresh_bindings()
        for o in self.outcomes:
            if o.new is not None:
                self.marks.discard(o.item.id)
                self.happ.announce_item_changed(o.new, self.action_name)
            elif isinstance(o.error, Conflict) and o.error.current is not None:
                self.marks.update(o.error.current)  # stays marked, at its current version
                self.happ.announce_item_changed(o.error.current, "conflict")
        self.render_outcomes()

    def render_outcomes(self) -> None:
        out = Text(t("batch.result.title") + "\n", style="bold")
        done = 0
        for o in self.outcomes:
            if o.done:
                done += 1
                out.append_text(
                    Text.assemble(
                        Text(f"  ✓ {t('batch.result.done')}: ", style="bold"),
                        item_label(o.item),
                        " — ",
                        t(f"batch.done.{o.action}"),
                    )
                )
            else:
                why = error_text(o.error) if o.error is not None else ""
                out.append_text(
                    Text.assemble(
                        Text(f"  ✗ {t('batch.result.refused')}: ", style="bold"),
                        item_label(o.item),
                        " — ",
                        safe_text(why, multiline=False),
                    )
                )
            out.append("\n")
        self.query_one("#plan", Static).update(out)
        self.query_one("#status", Static).update(
            Text(t("batch.result.summary", done=str(done), refused=str(len(self.outcomes) - done)))
        )

    def action_close(self) -> None:
        if self.state == "running":
            return  # the batch is on its way; its outcome is shown when it is back
        self.dismiss(None)


def start_batch(screen: Any, marks: Marks, done: Any) -> None:
    """Ask which action (and where, for forward), then open the confirmation; `done` is called
    when the batch screen closes (the inbox redraws its marks)."""
    app = screen.app

    def with_target(picked: Picked | None) -> None:
        if picked is not None:
            app.push_screen(BatchScreen(marks, "forward", target=picked[0]), done)

    def chosen(action: str | None) -> None:
        if action == "forward":
            app.push_screen(BatchTargetPicker(), with_target)
        elif action:
            app.push_screen(BatchScreen(marks, action), done)

    app.push_screen(BatchActionPicker(len(marks)), chosen)


# The target picker is the shared one (targets.py); still importable from here.
__all__ = ["BatchActionPicker", "BatchScreen", "BatchTargetPicker", "start_batch"]
