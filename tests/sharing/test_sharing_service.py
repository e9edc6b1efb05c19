"""Sharing as a service: SMS and email with the /s/ link, the limits, and forgetting the friend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, update

from konexi.extensions import db
from konexi.models import OutboxMessage, Share
from konexi.models.base import utcnow
from konexi.services.sharing import jobs as sharing_jobs
from konexi.services.sharing import sharing
from konexi.services.sharing.sharing import ShareError, share_voucher
from tests.support.factories import make_voucher
from tests.support.sharing import (
    FRIEND_EMAIL,
    FRIEND_LOCAL,
    FRIEND_PHONE,
    seed_shares,
    share_messages,
    shares,
    token_in,
)


def test_sms_share_reaches_the_friend_with_a_link_and_keeps_only_a_hash(app, create_user, twilio):
    sender = create_user(name="Siti Rahma")
    voucher = make_voucher()

    result = share_voucher(sender.id, voucher.id, FRIEND_LOCAL, "Ayo ngopi!", "10.0.0.1")

    assert result.channel == "sms"
    assert result.masked_recipient == "+62812••••••90"
    assert result.url == f"http://konexi.test/s/{result.token}"
    [sms] = twilio.to(FRIEND_PHONE)
    assert sms.body.startswith("Siti shared a voucher on Konexi: Buy 1 get 1 es kopi susu")
    assert '"Ayo ngopi!"' in sms.body
    assert token_in(sms.body) == result.token
    [message] = share_messages()
    assert (message.to_address, message.user_id, message.status) == (FRIEND_PHONE, None, "sent")
    [share] = shares()
    assert share.sender_id == sender.id and share.outbox_message_id == message.id
    assert share.recipient_hash == sharing.recipient_hash(FRIEND_PHONE)
    assert FRIEND_PHONE not in repr([getattr(share, c.key) for c in inspect(Share).columns])


def test_email_share_explains_why_the_friend_got_it(app, create_user, mailbox):
    sender = create_user(name="Siti Rahma")
    voucher = make_voucher()

    result = share_voucher(sender.id, voucher.id, "Budi.Friend@Example.COM", "", "10.0.0.1")

    assert result.channel == "email"
    [mail] = mailbox.to("Budi.Friend@example.com")
    assert mail.subject == "Siti shared a voucher with you on Konexi"
    assert f"http://konexi.test/s/{result.token}" in mail.text
    assert "You got this email because Siti typed your address" in mail.text


def test_the_same_voucher_goes_to_one_person_once_a_day(app, create_user, twilio):
    first, second = create_user(), create_user()
    voucher = make_voucher()
    share_voucher(first.id, voucher.id, FRIEND_LOCAL, "", "10.0.0.1")

    with pytest.raises(ShareError) as refused:
        share_voucher(second.id, voucher.id, "+62 812-3456-7890", "", "10.0.0.2")

    assert refused.value.reason == "duplicate" and refused.value.field == "contact"
    assert len(twilio.to(FRIEND_PHONE)) == 1
    assert len(shares()) == 1


def test_eleventh_share_in_a_day_is_refused_but_older_ones_do_not_count(app, create_user):
    sender = create_user()
    voucher = make_voucher()
    seed_shares(9, sender_id=sender.id, voucher_id=voucher.id, ip=None)
    seed_shares(5, sender_id=sender.id, voucher_id=voucher.id, ip=None, hours_ago=25)
    share_voucher(sender.id, voucher.id, FRIEND_EMAIL, "", None)  # the 10th today

    with pytest.raises(ShareError) as refused:
        share_voucher(sender.id, voucher.id, FRIEND_LOCAL, "", None)

    assert refused.value.reason == "sender_limit"
    assert len(share_messages()) == 1


def test_one_network_shares_at_most_its_daily_figure_whoever_sends(app, create_user):
    """SHARES_PER_IP_PER_DAY (500 by default, to fit a carrier's NAT address)."""
    others, sender = create_user(), create_user()
    voucher = make_voucher()
    assert app.config["SHARES_PER_IP_PER_DAY"] == 500
    seed_shares(500, sender_id=others.id, voucher_id=voucher.id, ip="10.9.9.9")

    with pytest.raises(ShareError) as refused:
        share_voucher(sender.id, voucher.id, FRIEND_LOCAL, "", "10.9.9.9")
    assert refused.value.reason == "ip_limit"
    assert share_voucher(sender.id, voucher.id, FRIEND_LOCAL, "", "10.1.1.1").channel == "sms"


def test_a_person_receives_at_most_three_vouchers_a_day(app, create_user):
    sender = create_user()
    vouchers = [make_voucher(title=f"Voucher {n}") for n in range(4)]
    for voucher in vouchers[:3]:
        share_voucher(sender.id, voucher.id, FRIEND_EMAIL, "", None)

    with pytest.raises(ShareError) as refused:
        share_voucher(sender.id, vouchers[3].id, FRIEND_EMAIL, "", None)
    assert refused.value.reason == "recipient_limit"


@pytest.mark.parametrize(
    ("contact", "message", "reason"),
    [
        ("12ab", "", "invalid_contact"),
        ("siti@", "", "invalid_contact"),
        ("", "", "invalid_contact"),
        (FRIEND_LOCAL, "cek https://evil.example/promo", "invalid_message"),
        (FRIEND_LOCAL, "klik bit.ly/xyz", "invalid_message"),
        (FRIEND_LOCAL, "buka www.promo", "invalid_message"),
        (FRIEND_LOCAL, "x" * 141, "invalid_message"),
    ],
)
def test_bad_contacts_and_links_are_refused(app, create_user, contact, message, reason):
    sender = create_user()
    voucher = make_voucher()
    with pytest.raises(ShareError) as refused:
        share_voucher(sender.id, voucher.id, contact, message, None)
    assert refused.value.reason == reason
    assert share_messages() == [] and shares() == []


def test_ordinary_messages_are_fine():
    assert sharing.clean_message("  Enak, Rp 15.000 aja!\njam 10.30  ") == (
        "Enak, Rp 15.000 aja! jam 10.30"
    )


def test_unverified_users_and_ended_vouchers_cannot_be_shared(app, create_user):
    unverified = create_user(verified=False)
    verified = create_user()
    live = make_voucher()
    ended = make_voucher(ends_at=utcnow() - timedelta(minutes=1))
    draft = make_voucher(status="draft")

    with pytest.raises(ShareError) as refused:
        share_voucher(unverified.id, live.id, FRIEND_LOCAL, "", None)
    assert refused.value.reason == "unverified"
    for voucher in (ended, draft):
        with pytest.raises(ShareError) as refused:
            share_voucher(verified.id, voucher.id, FRIEND_LOCAL, "", None)
        assert refused.value.reason == "unavailable"
    with pytest.raises(ShareError):
        share_voucher(verified.id, 999_999, FRIEND_LOCAL, "", None)


def test_a_name_that_looks_like_a_link_is_not_sent(app, create_user, twilio):
    sender = create_user(name="promo.example Hadiah")
    voucher = make_voucher()
    share_voucher(sender.id, voucher.id, FRIEND_LOCAL, "", None)
    [sms] = twilio.to(FRIEND_PHONE)
    assert sms.body.startswith("A friend shared a voucher")
    assert "promo.example" not in sms.body


def _all_values() -> str:
    """Every column of every outbox and share row, as text."""
    db.session.expire_all()
    rows = []
    for model in (OutboxMessage, Share):
        columns = inspect(model).columns
        for row in db.session.scalars(select(model)):
            rows.append(repr([getattr(row, column.key) for column in columns]))
    return "\n".join(rows)


def test_scrub_forgets_the_friends_contact_once_delivery_is_final(app, create_user):
    sender = create_user()
    voucher = make_voucher()
    share_voucher(sender.id, voucher.id, FRIEND_LOCAL, "", None)
    share_voucher(sender.id, voucher.id, FRIEND_EMAIL, "", None)
    phone_digits = FRIEND_PHONE.lstrip("+")
    assert phone_digits in _all_values() and FRIEND_EMAIL in _all_values()

    # Sent a moment ago: a delivery report may still come, so the contact stays for a day.
    assert sharing.scrub_share_contacts() == 0
    assert sharing.scrub_share_contacts(now=utcnow() + timedelta(days=1, minutes=1)) == 2

    everything = _all_values()
    assert phone_digits not in everything and "34567890" not in everything
    assert FRIEND_EMAIL not in everything and "budi.friend" not in everything.lower()
    assert {m.to_address for m in share_messages()} == {"redacted"}
    assert sharing.scrub_share_contacts(now=utcnow() + timedelta(days=3)) == 0  # idempotent
    # the hourly job (konexi/tasks/schedule.py) runs the same
    assert sharing_jobs.scrub_share_contacts() == 0


def test_scrub_waits_for_pending_messages_and_clears_failed_ones_at_once(app, create_user):
    sender = create_user()
    voucher = make_voucher()
    share_voucher(sender.id, voucher.id, FRIEND_LOCAL, "", None)
    share_voucher(sender.id, voucher.id, FRIEND_EMAIL, "", None)
    sms, email = share_messages()
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == sms.id).values(status="failed")
    )
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == email.id).values(status="pending")
    )
    db.session.commit()

    assert sharing.scrub_share_contacts(now=utcnow() + timedelta(days=5)) == 1
    sms, email = share_messages()
    assert (sms.to_address, email.to_address) == ("redacted", FRIEND_EMAIL)


def test_scrub_touches_only_share_messages(app):
    from konexi.messaging.outbox import commit_and_dispatch, queue_sms

    queue_sms(to=FRIEND_PHONE, body="Your code is 123456", kind="verify_phone")
    commit_and_dispatch()
    assert sharing.scrub_share_contacts(now=utcnow() + timedelta(days=5)) == 0
    db.session.expire_all()
    assert db.session.scalar(select(OutboxMessage.to_address)) == FRIEND_PHONE
