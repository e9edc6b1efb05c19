"""Plain-text email over SMTP: ``smtps://`` (TLS from the start) or ``smtp://`` with STARTTLS.

In production TLS is required: an ``smtp://`` server that does not offer STARTTLS (or whose
certificate fails Python's default verification; ``SSL_CERT_FILE`` can add a CA) gets no
credentials and no message, and the delivery fails (retried, like any unreachable server).
``?tls=none`` on the URL is the explicit opt-out (a relay on the same host). Development and
testing upgrade when STARTTLS is offered and go on in clear otherwise.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from konexi.messaging.failures import PermanentDeliveryError, TemporaryDeliveryError, scrub

# Set by Konexi from the outbox row; a row's own headers cannot replace them.
RESERVED_HEADERS = {"from", "to", "subject", "date", "message-id"}


@dataclass(frozen=True)
class SmtpSettings:
    implicit_tls: bool
    host: str
    port: int
    username: str | None
    password: str | None
    tls_opt_out: bool = False  # ``?tls=none``: production may send in clear to this server


def email_configured(config: Mapping[str, Any]) -> bool:
    """True when an SMTP server is set (``MAIL_FROM`` always has a default)."""
    return bool(config.get("SMTP_URL"))


def parse_smtp_url(url: str) -> SmtpSettings:
    """``smtp://user:pass@host:port`` (default port 587) or ``smtps://…`` (default port 465),
    optionally ``?tls=none`` to allow a server without TLS in production."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:pass@host:port or smtps://…")
    tls = parse_qs(parts.query).get("tls", [])
    if tls not in ([], ["none"]):
        raise ValueError("SMTP_URL's only option is ?tls=none")
    implicit_tls = parts.scheme == "smtps"
    return SmtpSettings(
        tls_opt_out=tls == ["none"],
        implicit_tls=implicit_tls,
        host=parts.hostname,
        port=parts.port or (465 if implicit_tls else 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def build_email(
    *,
    message_id: int,
    created_at: datetime,
    to: str,
    subject: str,
    body: str,
    headers: Mapping[str, str] | None,
    mail_from: str,
) -> EmailMessage:
    """The message for one outbox row; its Message-ID is the same on every attempt."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "konexi.invalid"
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = to
    email["Subject"] = subject
    email["Date"] = format_datetime(created_at)
    email["Message-ID"] = f"<outbox.{message_id}.{int(created_at.timestamp())}@{domain}>"
    for name, value in (headers or {}).items():
        if name.lower() not in RESERVED_HEADERS:
            email[name] = value
    email.set_content(body)
    return email


def send_email(
    *,
    message_id: int,
    created_at: datetime,
    to: str,
    subject: str,
    body: str,
    headers: Mapping[str, str] | None,
    config: Mapping[str, Any],
) -> str:
    """Hand one email to the SMTP server and return its Message-ID; raise a DeliveryError."""
    try:
        email = build_email(
            message_id=message_id,
            created_at=created_at,
            to=to,
            subject=subject,
            body=body,
            headers=headers,
            mail_from=config["MAIL_FROM"],
        )
    except (ValueError, TypeError) as exc:
        raise PermanentDeliveryError(f"cannot build the email: {scrub(str(exc), to)}") from exc
    try:
        settings = parse_smtp_url(config["SMTP_URL"])
    except ValueError as exc:
        raise TemporaryDeliveryError("SMTP_URL is not a valid smtp:// or smtps:// URL") from exc
    timeout = float(config["OUTBOX_SEND_TIMEOUT"])
    require_tls = config.get("KONEXI_ENV") == "production" and not settings.tls_opt_out
    try:
        _send(email, settings, timeout, require_tls)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        reason = f"smtp {max(codes, default=0)}: recipient refused"
        if codes and min(codes) >= 500:
            raise PermanentDeliveryError(reason) from exc
        raise TemporaryDeliveryError(reason) from exc
    except (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError) as exc:
        # Our own From or credentials: fixable by the operator, so keep retrying.
        raise TemporaryDeliveryError(f"smtp {exc.smtp_code}: {type(exc).__name__}") from exc
    except (smtplib.SMTPConnectError, smtplib.SMTPHeloError) as exc:
        raise TemporaryDeliveryError(f"smtp {exc.smtp_code}: server not ready") from exc
    except smtplib.SMTPResponseException as exc:
        reason = f"smtp {exc.smtp_code}: {scrub(_text(exc.smtp_error), to)}"
        if exc.smtp_code >= 500:
            raise PermanentDeliveryError(reason) from exc
        raise TemporaryDeliveryError(reason) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TemporaryDeliveryError(f"smtp unreachable: {type(exc).__name__}") from exc
    return str(email["Message-ID"])


def _send(email: EmailMessage, settings: SmtpSettings, timeout: float, require_tls: bool) -> None:
    # The TLS context is made only when TLS is used: loading the system's certificates costs
    # tens of milliseconds of CPU, which a message over a plain local relay need not pay.
    server: smtplib.SMTP
    if settings.implicit_tls:
        server = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    try:
        server.ehlo()
        if not settings.implicit_tls and server.has_extn("starttls"):
            # A certificate that fails raises: nothing is sent.
            server.starttls(context=ssl.create_default_context())
            server.ehlo()
        elif not settings.implicit_tls and require_tls:
            # Before AUTH: the credentials (and the message) must not cross the network in clear.
            raise TemporaryDeliveryError(
                "smtp: the server offers no STARTTLS and production requires TLS "
                "(use smtps://, or add ?tls=none to SMTP_URL to opt out)"
            )
        if settings.username:
            server.login(settings.username, settings.password or "")
        server.send_message(email)
    finally:
        # The message is already accepted: a failing QUIT must not turn it into a retry.
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
