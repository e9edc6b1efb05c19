"""A local SMTP server (aiosmtpd) that keeps every message it receives: plain (the default),
with STARTTLS, or TLS from the start (smtps), with a self-signed certificate; optionally with
AUTH allowed even in clear, recording each login and whether it came over TLS."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.servers.ports import free_port
from tests.servers.tls import SelfSignedCertificate


@dataclass
class ReceivedMail:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage
    over_tls: bool = False

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


def _over_tls(server, session) -> bool:
    """STARTTLS sets ``session.ssl``; smtps (TLS from the start) shows on the transport."""
    return session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None


@dataclass(frozen=True)
class Login:
    username: str
    over_tls: bool


@dataclass
class CapturingHandler:
    messages: list[ReceivedMail] = field(default_factory=list)
    logins: list[Login] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        received = ReceivedMail(
            envelope.mail_from,
            list(envelope.rcpt_tos),
            message,
            over_tls=_over_tls(server, session),
        )
        with self.lock:
            self.messages.append(received)
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        """Any login is accepted; it is recorded with whether it crossed the network in clear."""
        with self.lock:
            self.logins.append(Login(auth_data.login.decode(), _over_tls(server, session)))
        return AuthResult(success=True)


class SmtpServer:
    def __init__(
        self,
        certificate: SelfSignedCertificate | None = None,
        implicit_tls: bool = False,
        auth: bool = False,
    ) -> None:
        """Plain SMTP; with ``certificate``, STARTTLS (or, with ``implicit_tls``, smtps); with
        ``auth``, AUTH LOGIN/PLAIN offered even before TLS (as a careless relay does)."""
        self.port = free_port()
        self.handler = CapturingHandler()
        self.implicit_tls = implicit_tls
        options: dict[str, object] = {}
        if certificate is not None:
            key = "ssl_context" if implicit_tls else "tls_context"
            options[key] = certificate.server_context()
        if auth:
            options.update(authenticator=self.handler.authenticate, auth_require_tls=False)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    @property
    def url(self) -> str:
        return f"{'smtps' if self.implicit_tls else 'smtp'}://127.0.0.1:{self.port}"

    @property
    def logins(self) -> list[Login]:
        with self.handler.lock:
            return list(self.handler.logins)

    @property
    def messages(self) -> list[ReceivedMail]:
        with self.handler.lock:
            return list(self.handler.messages)

    def to(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.messages if address in m.envelope_to]

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.messages.clear()

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
