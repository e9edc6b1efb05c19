"""Email leaves through the outbox over SMTP, with its headers, and is retried only when useful."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from konexi.extensions import db
from konexi.messaging.email import parse_smtp_url
from konexi.messaging.jobs import sweep_outbox
from konexi.messaging.outbox import commit_and_dispatch, queue_email
from konexi.models import OutboxMessage
from tests.servers.ports import free_port

ADDRESS = "siti@example.com"
UNSUBSCRIBE = {
    "List-Unsubscribe": "<https://konexi.test/unsubscribe/t0k3n>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def reload(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    return message


def send_email(to: str = ADDRESS, headers: dict[str, str] | None = None) -> int:
    message = queue_email(
        to=to,
        subject="A friend shared a voucher",
        body="Siti shared Buy 1 get 1 iced coffee with you.\nhttps://konexi.test/s/abc",
        kind="share_voucher",
        headers=headers,
    )
    commit_and_dispatch()
    return message.id


class RefusingHandler:
    """An SMTP server that refuses some recipients: 550 for good, 451 for now."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("gone@"):
            return "550 5.1.1 <gone@example.com>: mailbox unavailable"
        if address.startswith("busy@"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        return "250 Message accepted"


@pytest.fixture
def refusing_smtp() -> Iterator[str]:
    port = free_port()
    controller = Controller(RefusingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}"
    controller.stop()


def test_email_reaches_the_smtp_server_with_subject_body_and_headers(app, mailbox):
    message_id = send_email(headers=UNSUBSCRIBE)

    [mail] = mailbox.to(ADDRESS)
    assert mail.subject == "A friend shared a voucher"
    assert "Siti shared Buy 1 get 1 iced coffee with you." in mail.text
    assert mail.message["From"] == "Konexi <no-reply@konexi.test>"
    assert mail.message["To"] == ADDRESS
    assert mail.message["List-Unsubscribe"] == UNSUBSCRIBE["List-Unsubscribe"]
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.message["Date"]
    message = reload(message_id)
    assert message.status == "sent"
    assert message.provider_message_id == mail.message["Message-ID"]
    assert mail.message["Message-ID"].endswith("@konexi.test>")


def test_a_rows_headers_cannot_replace_the_sender_or_recipient(app, mailbox):
    send_email(headers={"From": "evil@example.com", "To": "other@example.com", "X-Kind": "share"})

    [mail] = mailbox.to(ADDRESS)
    assert mail.message.get_all("From") == ["Konexi <no-reply@konexi.test>"]
    assert mail.message.get_all("To") == [ADDRESS]
    assert mail.message["X-Kind"] == "share"


def test_a_refused_recipient_fails_for_good_without_its_address_in_the_reason(
    app_factory, refusing_smtp
):
    app = app_factory(SMTP_URL=refusing_smtp)
    with app.app_context():
        message_id = send_email(to="gone@example.com")
        message = reload(message_id)
        assert message.status == "failed"
        assert "550" in message.last_error
        assert "gone@example.com" not in message.last_error
        db.session.remove()


def test_a_busy_recipient_server_is_retried_later(app_factory, refusing_smtp):
    app = app_factory(SMTP_URL=refusing_smtp)
    with app.app_context():
        message_id = send_email(to="busy@example.com")
        message = reload(message_id)
        assert (message.status, message.attempts) == ("pending", 1)
        assert "451" in message.last_error
        db.session.remove()


def test_an_unreachable_smtp_server_is_retried_and_the_email_sent_once(app_factory, mailbox):
    down = app_factory(SMTP_URL=f"smtp://127.0.0.1:{free_port()}")
    with down.app_context():
        message_id = send_email()
        message = reload(message_id)
        assert message.status == "pending"
        assert "smtp unreachable" in message.last_error
        db.session.remove()

    up = app_factory()
    with up.app_context():
        message = reload(message_id)
        message.next_attempt_at = None  # the backoff has passed
        db.session.commit()
        sweep_outbox()
        assert reload(message_id).status == "sent"
        db.session.remove()
    assert len(mailbox.to(ADDRESS)) == 1


def test_smtp_urls_carry_credentials_and_default_ports():
    plain = parse_smtp_url("smtp://apikey:p%40ss@mail.example")
    assert (plain.host, plain.port, plain.implicit_tls) == ("mail.example", 587, False)
    assert (plain.username, plain.password) == ("apikey", "p@ss")
    tls = parse_smtp_url("smtps://mail.example")
    assert (tls.port, tls.implicit_tls, tls.username) == (465, True, None)
    with pytest.raises(ValueError):
        parse_smtp_url("http://mail.example")
