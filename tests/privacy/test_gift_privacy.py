"""Gifts in "download my data" and in the purge: both sides, nothing personal left behind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Gift, GiftStatus, OutboxMessage, User, UserStatus
from konexi.models.base import utcnow
from konexi.services.privacy.export import export_user_data
from konexi.services.privacy.purge import purge_due_accounts
from konexi.services.sharing.gifts import accept_gift
from tests.support.factories import make_voucher
from tests.support.gifts import give
from tests.support.purge import dump_database
from tests.support.redemption import make_claim


def _mark_for_deletion(user: User) -> None:
    user.status = UserStatus.DELETING
    user.closed_at = utcnow() - timedelta(days=31)
    user.purge_after = utcnow() - timedelta(days=1)
    db.session.commit()


def test_export_lists_gifts_given_and_received_without_the_friends_contact(
    app: Flask, create_user: Callable[..., User]
) -> None:
    sender = create_user(name="Siti Rahma", phone="+6281244440001")
    friend = create_user(name="Budi", phone="+6281244440002", email="budi.gift@example.com")
    accept_gift(friend.id, give(sender, make_claim(sender, make_voucher()), friend.email))

    given = export_user_data(sender.id)["gifts"]
    received = export_user_data(friend.id)["gifts"]

    assert [(g["direction"], g["status"], g["channel"]) for g in given] == [
        ("given", "accepted", "email")
    ]
    assert [(g["direction"], g["voucher"]) for g in received] == [
        ("received", "Buy 1 get 1 es kopi susu")
    ]
    assert "budi.gift@example.com" not in str(given)


def test_purged_sender_and_friend_leave_gifts_only_as_counts(
    app: Flask, create_user: Callable[..., User]
) -> None:
    sender = create_user(name="Siti Rahma", phone="+6281244440001", email="siti.g@example.com")
    friend = create_user(name="Budi Santoso", phone="+6281244440002", email="budi.g@example.com")
    other = create_user(name="Dewi Lestari", phone="+6281244440003")
    voucher = make_voucher()
    accept_gift(friend.id, give(sender, make_claim(sender, voucher), friend.phone))
    give(sender, make_claim(sender, make_voucher()), other.phone)  # still pending
    _mark_for_deletion(db.session.get(User, sender.id))
    _mark_for_deletion(db.session.get(User, friend.id))

    purge_due_accounts()

    db.session.expire_all()
    rows = list(db.session.scalars(select(Gift).order_by(Gift.id)))
    assert [(g.status, g.sender_id, g.recipient_id, g.recipient_hash, g.ip_hash) for g in rows] == [
        (GiftStatus.ACCEPTED, None, None, "", None),
        (GiftStatus.VOID, None, None, "", None),
    ]
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "gift")) is None
    dump = dump_database()
    for personal in ("Siti", "Budi", "+6281244440001", "+6281244440002", "siti.g@", "budi.g@"):
        assert personal not in dump
