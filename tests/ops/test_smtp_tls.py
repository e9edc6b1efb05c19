"""SMTP in production requires TLS (smtps://, or STARTTLS that succeeds) unless SMTP_URL says
?tls=none: credentials and messages never cross the network in clear by accident. Development
and testing keep working with a plain local server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from konexi.config import read_setting
from konexi.extensions import db
from konexi.messaging.email import parse_smtp_url, send_email
from konexi.messaging.failures import TemporaryDeliveryError
from konexi.messaging.jobs import deliver_message
from konexi.messaging.outbox import commit_and_dispatch, queue_email
from konexi.models import OutboxMessage
from tests.servers.smtp_server import Login, SmtpServer
from tests.servers.tls import SelfSignedCertificate, make_self_signed_certificate

ADDRESS = "siti@example.com"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedCertificate:
    return make_self_signed_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def smtp_servers() -> Iterator[list[SmtpServer]]:
    """Servers a test starts (``started(...)``), stopped after it."""
    servers: list[SmtpServer] = []
    yield servers
    for server in servers:
        server.stop()


def started(servers: list[SmtpServer], **options: object) -> SmtpServer:
    server = SmtpServer(**options)
    server.start()
    servers.append(server)
    return server


def _with_login(server: SmtpServer, query: str = "") -> str:
    scheme, rest = server.url.split("://")
    return f"{scheme}://konexi:s3cret@{rest}{query}"


def _send(smtp_url: str, env: str = "production") -> str:
    """The delivery code itself, as the outbox job calls it."""
    return send_email(
        message_id=1,
        created_at=datetime.now(UTC),
        to=ADDRESS,
        subject="Your code",
        body="123456",
        headers=None,
        config={
            "KONEXI_ENV": env,
            "SMTP_URL": smtp_url,
            "MAIL_FROM": "no-reply@konexi.test",
            "OUTBOX_SEND_TIMEOUT": read_setting("OUTBOX_SEND_TIMEOUT", {}),
        },
    )


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_production_fails_delivery_to_a_server_without_starttls_and_sends_no_credentials(
    app_factory, redis_url, smtp_servers
):
    clear = started(smtp_servers, auth=True)
    app = app_factory(KONEXI_ENV="production", REDIS_URL=redis_url, SMTP_URL=_with_login(clear))
    with app.app_context():
        message = queue_email(to=ADDRESS, subject="Hi", body="Hello", kind="welcome")
        commit_and_dispatch()
        deliver_message(message.id)  # the job, as the worker runs it
        row = db.session.get(OutboxMessage, message.id, populate_existing=True)
        assert (row.status, row.attempts) == ("pending", 1)  # retried later, like any failure
        assert "STARTTLS" in row.last_error and "tls=none" in row.last_error
        db.session.remove()
    assert clear.logins == [] and clear.messages == []


def test_production_sends_over_starttls_when_the_certificate_is_trusted(
    certificate, smtp_servers, monkeypatch
):
    server = started(smtp_servers, certificate=certificate, auth=True)
    with pytest.raises(TemporaryDeliveryError, match="SSLCertVerificationError"):
        _send(_with_login(server))  # self-signed, and nobody said to trust it
    assert server.logins == [] and server.messages == []

    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert_file))
    _send(_with_login(server))
    assert server.logins == [Login("konexi", over_tls=True)]
    [mail] = server.messages
    assert mail.over_tls and mail.envelope_to == [ADDRESS]


def test_production_sends_over_smtps(certificate, smtp_servers, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert_file))
    server = started(smtp_servers, certificate=certificate, implicit_tls=True, auth=True)
    _send(_with_login(server))
    assert server.logins == [Login("konexi", over_tls=True)]
    assert [m.over_tls for m in server.messages] == [True]


def test_tls_none_opts_out_and_development_keeps_the_plain_test_server(smtp_servers):
    clear = started(smtp_servers, auth=True)
    _send(_with_login(clear, "?tls=none"))  # production, told explicitly
    _send(_with_login(clear), env="testing")
    _send(_with_login(clear), env="development")
    assert clear.logins == [Login("konexi", over_tls=False)] * 3
    assert [m.over_tls for m in clear.messages] == [False] * 3


def test_smtp_url_options():
    assert parse_smtp_url("smtp://relay.local:25?tls=none").tls_opt_out is True
    assert parse_smtp_url("smtp://mail.example").tls_opt_out is False
    with pytest.raises(ValueError, match="tls=none"):
        parse_smtp_url("smtp://mail.example?tls=maybe")
