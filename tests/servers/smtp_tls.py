"""The capturing SMTP server as a production mail relay has it: STARTTLS required, then AUTH.

Nothing is accepted in clear text: MAIL before STARTTLS is refused, and so is AUTH (aiosmtpd's
``auth_require_tls``), so credentials never cross the network unencrypted.
"""

from __future__ import annotations

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.servers.certificates import Certificate
from tests.servers.smtp_server import SmtpServer

SMTP_USER = "konexi"
SMTP_PASSWORD = "relay-password"  # noqa: S105 - test credential


class StartTlsSmtpServer(SmtpServer):
    def __init__(self, certificate: Certificate) -> None:
        super().__init__()
        self.logins: list[str] = []
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            tls_context=certificate.server_context(),
            require_starttls=True,
            authenticator=self._authenticate,
            auth_require_tls=True,
        )

    @property
    def url(self) -> str:
        """``smtp://`` with credentials: the client must upgrade with STARTTLS before AUTH."""
        return f"smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{self.port}"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == SMTP_USER.encode()
            and auth_data.password == SMTP_PASSWORD.encode()
        )
        if ok:
            self.logins.append(SMTP_USER)
        return AuthResult(success=ok)
