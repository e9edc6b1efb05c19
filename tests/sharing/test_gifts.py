"""Giving a claimed voucher to a friend: the code moves, the limits hold, it can come back."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from konexi.extensions import db
from konexi.models import (
    Claim,
    ClaimStatus,
    Gift,
    GiftStatus,
    User,
    VoucherDailyStats,
    VoucherStatus,
)
from konexi.models.base import utcnow
from konexi.models.offline_redemptions import OfflineOutcome
from konexi.services.claims.offline_redemption import OfflineItem, redeem_offline_batch
from konexi.services.claims.redemption import RedeemOutcome, redeem_by_branch_phone
from konexi.services.sharing import gifts
from konexi.services.sharing.gifts import AcceptOutcome, GiftError, accept_gift, give_claim
from konexi.services.sharing.sharing import recipient_hash, scrub_share_contacts
from tests.servers.fake_twilio import FakeTwilio
from tests.servers.smtp_server import SmtpServer
from tests.support.factories import fresh, make_voucher
from tests.support.gifts import gift_messages, give, the_gift
from tests.support.redemption import make_claim, make_counter, membership_of

BRANCH_PHONE = "+622131900001"  # make_company's Menteng branch, verified


@pytest.fixture
def people(create_user: Callable[..., User]) -> tuple[User, User]:
    sender = create_user(name="Siti Rahma", phone="+6281211110001", email="siti@example.com")
    friend = create_user(name="Budi", phone="+6281211110002", email="budi@example.com")
    return sender, friend


def test_accepted_gift_moves_the_code_and_the_old_one_stops_working(
    app: Flask, people: tuple[User, User], twilio: FakeTwilio
) -> None:
    sender, friend = people
    voucher = make_voucher()
    claim = make_claim(sender, voucher)
    old_code = claim.code

    token = give(sender, claim, "0812 1111 0002")
    [sms] = twilio.to("+6281211110002")
    assert "Siti gave you a voucher on Konexi: Buy 1 get 1 es kopi susu" in sms.body
    assert f"http://konexi.test/g/{token}" in sms.body
    result = accept_gift(friend.id, token)

    assert result.outcome is AcceptOutcome.ACCEPTED
    assert result.claim is not None and result.claim.user_id == friend.id
    assert result.claim.code != old_code and result.claim.gifted_from_id == claim.id
    assert fresh(Claim, claim.id).status == ClaimStatus.GIVEN
    assert the_gift().status == GiftStatus.ACCEPTED
    assert redeem_by_branch_phone(BRANCH_PHONE, old_code).outcome is RedeemOutcome.NOT_FOUND
    assert redeem_by_branch_phone(BRANCH_PHONE, result.claim.code).ok
    stats = db.session.scalar(
        select(VoucherDailyStats).where(VoucherDailyStats.voucher_id == voucher.id)
    )
    assert stats is not None and stats.gifts == 1
    assert fresh(type(voucher), voucher.id).quota_claimed == 1  # a transfer, not a new claim


def test_email_gift_is_sent_in_the_senders_language_without_looking_up_accounts(
    app: Flask, people: tuple[User, User], mailbox: SmtpServer
) -> None:
    sender, _friend = people
    claim = make_claim(sender, make_voucher())

    give(sender, claim, "Nobody.Here@Example.COM", locale="id")

    [mail] = mailbox.to("Nobody.Here@example.com")
    assert mail.subject == "Siti memberi Anda voucher di Konexi"
    assert "/g/" in mail.text
    [message] = gift_messages()
    assert message.user_id is None and message.named_user_id == sender.id


def test_only_the_addressed_friend_can_accept(
    app: Flask, people: tuple[User, User], create_user: Callable[..., User]
) -> None:
    sender, friend = people
    stranger = create_user(name="Eko")
    claim = make_claim(sender, make_voucher())
    token = give(sender, claim, friend.email)

    assert accept_gift(stranger.id, token).outcome is AcceptOutcome.NOT_FOR_YOU
    assert accept_gift(sender.id, token).outcome is AcceptOutcome.NOT_FOR_YOU
    assert accept_gift(friend.id, "not-a-token").outcome is AcceptOutcome.NOT_FOUND
    assert the_gift().status == GiftStatus.PENDING
    assert accept_gift(friend.id, token).ok


def test_unverified_friend_cannot_accept(
    app: Flask, people: tuple[User, User], create_user: Callable[..., User]
) -> None:
    sender, _friend = people
    unverified = create_user(name="Dewi", phone="+6281211110009", verified=False)
    token = give(sender, make_claim(sender, make_voucher()), "+6281211110009")

    assert accept_gift(unverified.id, token).outcome is AcceptOutcome.UNVERIFIED


def test_the_friends_per_person_limit_applies(app: Flask, people: tuple[User, User]) -> None:
    sender, friend = people
    voucher = make_voucher(per_user_limit=1)
    make_claim(friend, voucher)
    token = give(sender, make_claim(sender, voucher), friend.phone)

    assert accept_gift(friend.id, token).outcome is AcceptOutcome.LIMIT_REACHED
    assert the_gift().status == GiftStatus.PENDING
    assert db.session.scalar(select(Claim.status).where(Claim.user_id == sender.id)) == "active"


def test_sender_can_take_a_gift_back_until_it_is_accepted(
    app: Flask, people: tuple[User, User]
) -> None:
    sender, friend = people
    claim = make_claim(sender, make_voucher())
    token = give(sender, claim, friend.phone)
    gift = the_gift()

    assert gifts.take_back_gift(friend.id, gift.id) is False  # only the sender
    assert gifts.take_back_gift(sender.id, gift.id) is True
    assert accept_gift(friend.id, token).outcome is AcceptOutcome.UNAVAILABLE
    assert fresh(Claim, claim.id).status == ClaimStatus.ACTIVE
    assert gifts.take_back_gift(sender.id, gift.id) is False


def test_accepted_gift_cannot_be_taken_back_or_accepted_twice(
    app: Flask, people: tuple[User, User]
) -> None:
    sender, friend = people
    token = give(sender, make_claim(sender, make_voucher()), friend.phone)
    first = accept_gift(friend.id, token)

    assert gifts.take_back_gift(sender.id, the_gift().id) is False
    again = accept_gift(friend.id, token)
    assert again.ok and again.claim is not None and first.claim is not None
    assert again.claim.id == first.claim.id
    assert db.session.scalar(select(Claim.id).where(Claim.user_id == friend.id)) == first.claim.id


def test_unaccepted_gift_returns_after_the_set_time(app: Flask, people: tuple[User, User]) -> None:
    sender, friend = people
    claim = make_claim(sender, make_voucher(ends_at=utcnow() + timedelta(days=30)))
    token = give(sender, claim, friend.phone)
    gift = the_gift()
    assert gift.expires_at - gift.created_at == timedelta(days=app.config["GIFT_ACCEPT_DAYS"])

    assert gifts.return_expired_gifts(utcnow()) == 0
    assert gifts.return_expired_gifts(gift.expires_at + timedelta(seconds=1)) == 1
    assert the_gift().status == GiftStatus.RETURNED
    assert accept_gift(friend.id, token).outcome is AcceptOutcome.EXPIRED
    assert fresh(Claim, claim.id).status == ClaimStatus.ACTIVE


def test_gift_past_its_time_is_refused_at_accept_even_before_the_job_runs(
    app: Flask, people: tuple[User, User]
) -> None:
    sender, friend = people
    voucher = make_voucher(ends_at=utcnow() + timedelta(days=2))
    token = give(sender, make_claim(sender, voucher), friend.phone)
    assert (
        the_gift().expires_at == fresh(type(voucher), voucher.id).ends_at
    )  # the voucher ends first
    db.session.execute(update(Gift).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()

    assert accept_gift(friend.id, token).outcome is AcceptOutcome.EXPIRED


def test_a_claim_is_given_once_at_a_time(
    app: Flask, people: tuple[User, User], create_user: Callable[..., User]
) -> None:
    sender, friend = people
    claim = make_claim(sender, make_voucher())
    give(sender, claim, friend.phone)

    with pytest.raises(GiftError) as refused:
        give_claim(sender.id, claim.id, "+6281211110077", "en", "10.0.0.1")
    assert refused.value.reason == "pending"


def test_received_gift_is_given_again_only_when_the_provider_allows(
    app: Flask, people: tuple[User, User], create_user: Callable[..., User]
) -> None:
    sender, friend = people
    third = create_user(name="Eko", phone="+6281211110003")
    voucher = make_voucher()
    received = accept_gift(friend.id, give(sender, make_claim(sender, voucher), friend.phone))
    assert received.claim is not None

    with pytest.raises(GiftError) as refused:
        give_claim(friend.id, received.claim.id, third.phone, "en", "10.0.0.1")
    assert refused.value.reason == "no_regift"

    voucher = fresh(type(voucher), voucher.id)
    voucher.allow_regift = True
    db.session.commit()
    again = accept_gift(third.id, give(friend, received.claim, third.phone))
    assert again.ok and fresh(Claim, received.claim.id).status == ClaimStatus.GIVEN


def test_only_the_holder_gives_and_only_an_active_claim(
    app: Flask, people: tuple[User, User]
) -> None:
    sender, friend = people
    voucher = make_voucher()
    claim = make_claim(sender, voucher)

    with pytest.raises(GiftError) as not_theirs:
        give_claim(friend.id, claim.id, "+6281211110077", "en", "10.0.0.1")
    assert not_theirs.value.reason == "unavailable"
    assert redeem_by_branch_phone(BRANCH_PHONE, claim.code).ok
    with pytest.raises(GiftError) as redeemed:
        give_claim(sender.id, claim.id, friend.phone, "en", "10.0.0.1")
    assert redeemed.value.reason == "unavailable"
    assert gift_messages() == []


def test_giving_to_yourself_and_bad_addresses_are_refused_by_field(
    app: Flask, people: tuple[User, User]
) -> None:
    sender, _friend = people
    claim = make_claim(sender, make_voucher())

    for contact, reason in (
        ("0812 1111 0001", "self"),
        ("siti@example.com", "self"),
        ("12", "invalid_contact"),
    ):
        with pytest.raises(GiftError) as refused:
            give_claim(sender.id, claim.id, contact, "en", "10.0.0.1")
        assert refused.value.reason == reason and "contact" in refused.value.errors


def test_redeeming_first_voids_the_pending_gift(app: Flask, people: tuple[User, User]) -> None:
    sender, friend = people
    claim = make_claim(sender, make_voucher())
    token = give(sender, claim, friend.phone)

    assert redeem_by_branch_phone(BRANCH_PHONE, claim.code).ok
    assert not gifts.is_open(the_gift())
    assert accept_gift(friend.id, token).outcome is AcceptOutcome.UNAVAILABLE
    assert db.session.scalar(select(Claim).where(Claim.user_id == friend.id)) is None
    assert the_gift().status == GiftStatus.VOID


def test_one_friend_receives_at_most_three_gifts_a_day(
    app: Flask, create_user: Callable[..., User]
) -> None:
    friend = create_user(name="Budi", phone="+6281211110002")
    for n in range(gifts.GIFTS_PER_RECIPIENT):
        giver = create_user(name=f"Giver {n}")
        give(giver, make_claim(giver, make_voucher()), friend.phone)
    last = create_user(name="Late")

    with pytest.raises(GiftError) as refused:
        give_claim(last.id, make_claim(last, make_voucher()).id, friend.phone, "en", "10.0.0.1")
    assert refused.value.reason == "recipient_limit"


def test_the_friends_address_is_redacted_from_the_gift_message_once_delivered(
    app: Flask, people: tuple[User, User]
) -> None:
    sender, _friend = people
    give(sender, make_claim(sender, make_voucher()), "teman.baru@example.com")
    assert [m.to_address for m in gift_messages()] == ["teman.baru@example.com"]

    assert scrub_share_contacts(now=utcnow() + timedelta(days=1, minutes=1)) == 1

    assert [m.to_address for m in gift_messages()] == ["redacted"]
    assert the_gift().recipient_hash == recipient_hash("teman.baru@example.com")


def test_a_voucher_its_provider_ended_early_cannot_be_accepted(
    app: Flask, people: tuple[User, User]
) -> None:
    sender, friend = people
    voucher = make_voucher()
    token = give(sender, make_claim(sender, voucher), friend.phone)
    voucher = fresh(type(voucher), voucher.id)
    voucher.status = VoucherStatus.ENDED
    db.session.commit()

    assert accept_gift(friend.id, token).outcome is AcceptOutcome.EXPIRED
    assert db.session.scalar(select(Claim).where(Claim.user_id == friend.id)) is None


def _give_as(sender: User, display_name: str, contact: str, locale: str = "en") -> None:
    """``sender``, under ``display_name``, gives a fresh claim to ``contact``."""
    sender.display_name = display_name
    db.session.commit()
    give(sender, make_claim(sender, make_voucher()), contact, locale=locale)


def test_a_gift_names_the_sender_by_their_public_name(
    app: Flask, people: tuple[User, User], twilio: FakeTwilio
) -> None:
    _give_as(people[0], "Kopi Lover", "0812 1111 0002")

    [sms] = twilio.to("+6281211110002")
    assert sms.body.startswith("Kopi Lover gave you a voucher on Konexi") and "Siti" not in sms.body


def test_a_name_that_cannot_be_shown_becomes_a_friend_in_the_messages_language(
    app: Flask, people: tuple[User, User], mailbox: SmtpServer
) -> None:
    _give_as(people[0], "promo evil。com", "teman@example.com", locale="id")

    [mail] = mailbox.to("teman@example.com")
    assert mail.subject == "Seorang teman memberi Anda voucher di Konexi"
    assert "evil" not in mail.subject + mail.text


def test_an_offline_counter_refuses_the_given_code_and_redeems_the_friends(
    app: Flask, create_user: Callable[..., User], twilio: FakeTwilio
) -> None:
    c = make_counter(create_user)
    friend = create_user(name="Budi", phone="+6281211110002")
    accepted = accept_gift(friend.id, give(c.customer, c.claim, "0812 1111 0002"))
    assert accepted.claim is not None

    old, new = redeem_offline_batch(
        membership_of(c.staff),
        [
            OfflineItem(str(uuid.uuid4()), c.claim.code, c.here.id),
            OfflineItem(str(uuid.uuid4()), accepted.claim.code, c.here.id),
        ],
    )

    assert (old.outcome, new.outcome) == (OfflineOutcome.NOT_FOUND, OfflineOutcome.REDEEMED)
    assert fresh(Claim, c.claim.id).status == ClaimStatus.GIVEN
    assert fresh(Claim, accepted.claim.id).status == ClaimStatus.REDEEMED
