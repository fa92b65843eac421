"""What a reply is made of besides the editor: the standard templates in the user's language, the
signature under a reply, and the message a reply answers."""

from __future__ import annotations

from ..client.models import Me, Message, StaffProfile, Thread
from ..i18n import current_language, t
from ..templates import Signature, Template

TEMPLATE_COUNT = 5  # standard reply templates: "template.<i>.title" / "template.<i>.body" in the catalogs


def templates() -> list[tuple[str, str]]:
    """(title, text) of each standard reply template, in the current language (unfilled)."""
    return [(t(f"template.{i}.title"), t(f"template.{i}.body")) for i in range(1, TEMPLATE_COUNT + 1)]


def standard_templates() -> list[Template]:
    return [Template(title, body, "standard") for title, body in templates()]


def signature_of(profile: StaffProfile | None, me: Me | None) -> Signature:
    """The signature under a reply: the user's name, title and unit. In bokmål the title is the
    one registered for the user (Practitioner.qualification); in another language the role's name
    from the catalog (the register's titles are Norwegian)."""
    name = profile.name if profile is not None and profile.name else (me.display if me is not None else "")
    role = profile.role if profile is not None and profile.role else next(iter(me.roles), "") if me else ""
    title = ""
    if profile is not None and profile.title and current_language() == "nb":
        title = profile.title
    elif role:
        key = f"signature.role.{role}"
        title = t(key) if t(key) != key else ""
    return Signature(name, title, profile.unit if profile is not None else "")


def answered_message(thread: Thread | None) -> Message | None:
    """The message a reply answers: the newest one from the patient's side (a proxy's included, and a
    phone message staff registered for a caller)."""
    if thread is None:
        return None
    for m in reversed(thread.messages):
        if not m.is_draft and (m.from_patient_side or m.category in ("patient-message", "phone-message")):
            return m
    return None
