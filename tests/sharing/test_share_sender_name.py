"""The friend who receives a share sees the sender's public name, as everywhere else: the display
name the sender chose (profile: "shown to others instead of your first name"), else the first."""

from __future__ import annotations

from collections.abc import Callable

from konexi.extensions import db
from konexi.models import User, Voucher
from konexi.services.sharing.sharing import share_voucher
from tests.servers.fake_twilio import FakeTwilio
from tests.servers.smtp_server import SmtpServer
from tests.support.factories import make_voucher
from tests.support.sharing import FRIEND_EMAIL, FRIEND_LOCAL, FRIEND_PHONE


def _sender_called(create_user: Callable[..., User], display_name: str) -> tuple[User, Voucher]:
    sender = create_user(name="Siti Rahma")
    sender.display_name = display_name
    db.session.commit()
    return sender, make_voucher()


def test_a_share_names_the_sender_by_their_display_name(
    create_user: Callable[..., User], twilio: FakeTwilio, mailbox: SmtpServer
) -> None:
    sender, voucher = _sender_called(create_user, "Kopi Lover")

    share_voucher(sender.id, voucher.id, FRIEND_LOCAL, "", "10.0.0.1")
    share_voucher(sender.id, voucher.id, FRIEND_EMAIL, "", "10.0.0.2")

    [sms] = twilio.to(FRIEND_PHONE)
    assert sms.body.startswith("Kopi Lover shared a voucher on Konexi")
    [mail] = mailbox.to(FRIEND_EMAIL)
    assert mail.subject == "Kopi Lover shared a voucher with you on Konexi"
    assert "Siti" not in sms.body + mail.subject + mail.text


def test_a_display_name_with_a_disguised_link_is_not_sent(
    create_user: Callable[..., User], twilio: FakeTwilio
) -> None:
    sender, voucher = _sender_called(create_user, "promo evil。com")

    share_voucher(sender.id, voucher.id, FRIEND_LOCAL, "", "10.0.0.1")

    [sms] = twilio.to(FRIEND_PHONE)
    assert sms.body.startswith("A friend shared a voucher") and "evil" not in sms.body
