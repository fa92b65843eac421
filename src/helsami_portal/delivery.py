"""Sending patient notifications: the texts, the SMTP relay, the SMS gateway, and the job that empties
the outbox (`workflow.notify`).

A notification says only that something is waiting in HelsaMi, and where to sign in: never what
arrived, from whom, or for whom (a proxy gets the same text). The texts are this module's small
catalog, in bokmål and English (`TEXTS`).

E-mail goes to the SMTP relay of the settings (`smtp_*`: implicit TLS or STARTTLS, with the system's
certificate authorities or `smtp_ca_file`, and a user name and password if given); SMS goes to an
HTTP gateway as one JSON POST with a bearer token (`sms_*`):

    POST <sms_url>   Authorization: Bearer <sms_token>   Idempotency-Key: <notification id>
    {"to": "+4791234567", "text": "...", "sender": "HelsaMi", "reference": "<notification id>"}

Any 2xx is sent. A failed try is classified: temporary (no connection, time-out, TLS, SMTP 4xx or a
refused login, HTTP 408/429/5xx) is tried again with backoff; permanent (SMTP 5xx for the recipient
or the message, any other HTTP 4xx) fails at once. Only an error code is recorded and logged, never
the server's message (it may echo an address).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import socket
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any, Protocol

import httpx

from .store.store import Store
from .workflow import notify

log = logging.getLogger("helsami_portal.delivery")

# language -> subject, e-mail body, SMS text. {link}: where to sign in. No health information here.
TEXTS: dict[str, dict[str, str]] = {
    "nb": {
        "subject": "Ny melding i HelsaMi",
        "email": "Hei!\n\nDu har fått en ny melding i HelsaMi. Logg inn for å lese den:\n{link}\n\n"
        "Dette er en automatisk melding. Du kan ikke svare på den.\n"
        "Du kan endre varslingene dine under Innstillinger i HelsaMi.\n",
        "sms": "Du har fått en ny melding i HelsaMi. Logg inn for å lese den: {link}",
    },
    "en": {
        "subject": "New message in HelsaMi",
        "email": "Hello,\n\nYou have a new message in HelsaMi. Sign in to read it:\n{link}\n\n"
        "This is an automatic message. Please do not reply to it.\n"
        "You can change your notifications under Settings in HelsaMi.\n",
        "sms": "You have a new message in HelsaMi. Sign in to read it: {link}",
    },
}


def text(language: str, part: str, link: str) -> str:
    return TEXTS.get(language, TEXTS["nb"])[part].format(link=link)


class SendError(Exception):
    """A try that failed; `code` is what the outbox records (no address, no server message)."""

    def __init__(self, code: str, *, retry: bool) -> None:
        super().__init__(code)
        self.code = code
        self.retry = retry


class Transport(Protocol):
    def send(self, notification_id: str, address: str, language: str, link: str) -> None: ...


@dataclass
class SmtpRelay:
    host: str
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    username: str | None = None
    password: str | None = None
    sender: str = "HelsaMi <ikke-svar@helsami.invalid>"
    ca_file: str | None = None
    timeout: float = 20.0

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else ssl.create_default_context()

    def message(self, notification_id: str, address: str, language: str, link: str) -> EmailMessage:
        msg = EmailMessage()
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "helsami.invalid"
        msg["From"] = self.sender
        msg["To"] = address
        msg["Subject"] = text(language, "subject", link)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = f"<{notification_id}@{domain}>"
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(text(language, "email", link))
        msg["Content-Language"] = "nb" if language == "nb" else "en"  # after set_content, which drops Content-*
        return msg

    def send(self, notification_id: str, address: str, language: str, link: str) -> None:
        msg = self.message(notification_id, address, language, link)
        try:
            if self.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self._context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                smtp.ehlo()
                if self.security == "starttls":
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError:
            raise SendError("smtp-login", retry=True) from None
        except smtplib.SMTPRecipientsRefused as e:
            codes = [c for c, _m in e.recipients.values()]
            raise SendError("smtp-recipient", retry=all(400 <= c < 500 for c in codes)) from None
        except smtplib.SMTPResponseException as e:
            raise SendError(f"smtp-{e.smtp_code}", retry=not 500 <= e.smtp_code < 600) from None
        except smtplib.SMTPNotSupportedError:
            raise SendError("smtp-no-starttls", retry=True) from None
        except ssl.SSLError:
            raise SendError("smtp-tls", retry=True) from None
        except (smtplib.SMTPException, OSError):
            raise SendError("smtp-unreachable", retry=True) from None


@dataclass
class SmsGateway:
    url: str
    token: str | None = None
    sender: str = "HelsaMi"
    timeout: float = 20.0
    client: httpx.Client | None = None

    def send(self, notification_id: str, address: str, language: str, link: str) -> None:
        headers = {"Idempotency-Key": notification_id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = {"to": address, "text": text(language, "sms", link), "sender": self.sender, "reference": notification_id}
        try:
            if self.client is not None:
                r = self.client.post(self.url, json=body, headers=headers, timeout=self.timeout)
            else:
                with httpx.Client(timeout=self.timeout) as client:
                    r = client.post(self.url, json=body, headers=headers)
        except httpx.HTTPError:
            raise SendError("sms-unreachable", retry=True) from None
        if 200 <= r.status_code < 300:
            return
        retry = r.status_code in (408, 425, 429) or r.status_code >= 500
        raise SendError(f"sms-{r.status_code}", retry=retry)


def _worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Delivery:
    """The outbox job: claims due notifications, sends each once, records the outcome."""

    transports: dict[str, Transport]
    link: str
    batch: int = 50
    worker: str = field(default_factory=_worker_id)
    on_sent: Callable[[str], None] | None = None

    @property
    def channels(self) -> frozenset[str]:
        return frozenset(self.transports)

    def run_once(self, store: Store, now: dt.datetime) -> int:
        """Send what is due at `now`; returns how many were sent."""
        from . import metrics

        sent = 0
        started = time.monotonic()
        for c in notify.claim(store, now, self.worker, self.channels, self.batch):
            if not notify.renew(store, c, self.worker, now + dt.timedelta(seconds=time.monotonic() - started)):
                continue  # the claim ran out (a slow batch) and another worker has the row now
            if not notify.still_wanted(store, c):  # the grant ended, the channel was turned off, ...
                notify.mark_withdrawn(store, c, self.worker, now)
                metrics.NOTIFICATIONS.labels(c.channel, "withdrawn").inc()
                continue
            try:
                self.transports[c.channel].send(c.id, c.address, c.language, self.link)
            except SendError as e:
                state = notify.mark_failed(store, c, self.worker, now, e.code, retry=e.retry)
                metrics.NOTIFICATIONS.labels(c.channel, "retry" if state == "pending" else "failed").inc()
                log.warning("notification %s by %s: %s (try %d, %s)", c.id, c.channel, e.code, c.attempts, state)
                continue
            except Exception as exc:  # a bug in a transport: never its message
                notify.mark_failed(store, c, self.worker, now, f"error-{type(exc).__name__}"[:40], retry=True)
                metrics.NOTIFICATIONS.labels(c.channel, "retry").inc()
                log.error("notification %s by %s failed: %s", c.id, c.channel, type(exc).__name__)
                continue
            notify.mark_sent(store, c, self.worker, now)
            metrics.NOTIFICATIONS.labels(c.channel, "sent").inc()
            sent += 1
            if self.on_sent is not None:
                self.on_sent(c.id)
        expired = notify.expire(store, now)
        if expired:
            log.warning("notifications: %d expired unsent", expired)
        return sent


def from_settings(settings: Any) -> Delivery | None:
    """The job for the channels the settings configure; None if they configure none."""
    transports: dict[str, Transport] = {}
    timeout = float(getattr(settings, "notify_timeout_seconds", 20.0))
    if getattr(settings, "smtp_host", None):
        transports["email"] = SmtpRelay(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_security,
            settings.smtp_username,
            settings.smtp_password,
            settings.smtp_from,
            settings.smtp_ca_file,
            timeout,
        )
    if getattr(settings, "sms_url", None):
        transports["sms"] = SmsGateway(settings.sms_url, settings.sms_token, settings.sms_sender, timeout)
    if not transports:
        return None
    return Delivery(transports, link=settings.notify_link or settings.issuer)
