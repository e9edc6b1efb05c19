"""The "SMS notifications" switch: off, a friend's share to one's proven phone is not texted but
listed under "Shared with me"; essential texts still go; and the sender cannot tell the cases
apart (same page, same database work)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import OutboxMessage, OutboxStatus, User
from konexi.services.claims.claims import claim_voucher
from konexi.services.sharing import inbox, sharing
from tests.support.auth import log_in
from tests.support.catalogue import count_queries
from tests.support.factories import make_voucher
from tests.support.sharing import body_without_csrf, post_share, shares

PHONE = "+6281298765432"


def phone_owner(create_user: Callable[..., User], phone: str = PHONE, sms: bool = False) -> User:
    owner = create_user(name="Budi Santoso", phone=phone)
    owner.sms_notifications = sms
    db.session.commit()
    return owner


def test_a_share_to_a_phone_whose_owner_turned_sms_off_is_listed_not_texted(
    app: Flask, create_user: Callable[..., User], twilio
) -> None:
    sender = create_user(name="Siti Rahma")
    friend = phone_owner(create_user, sms=False)

    result = sharing.share_voucher(sender.id, make_voucher().id, "0812 9876 5432", "", None)

    assert twilio.to(PHONE) == []
    assert [e.share_id for e in inbox.shared_with_me(friend.id)] == [result.share_id]
    assert result.recipient_name is None  # not findable: the sender is not told who it is
    [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "share"))
    assert (row.status, row.to_address) == (OutboxStatus.WITHHELD, sharing.REDACTED)


def test_a_share_to_a_phone_whose_owner_wants_sms_is_texted(
    app: Flask, create_user: Callable[..., User], twilio
) -> None:
    sender = create_user()
    friend = phone_owner(create_user, sms=True)

    sharing.share_voucher(sender.id, make_voucher().id, "0812 9876 5432", "", None)

    assert len(twilio.to(PHONE)) == 1
    assert inbox.shared_with_me(friend.id) == []  # not findable, texted: nothing to list


def test_a_number_not_proven_by_its_account_is_still_texted(
    app: Flask, create_user: Callable[..., User], twilio
) -> None:
    sender = create_user()
    squatter = phone_owner(create_user, sms=False)
    squatter.phone_verified_at = None  # anyone can type a number: only proof gives a say
    db.session.commit()

    sharing.share_voucher(sender.id, make_voucher().id, "0812 9876 5432", "", None)

    assert len(twilio.to(PHONE)) == 1
    assert inbox.shared_with_me(squatter.id) == []


def test_codes_and_claim_texts_still_go_with_sms_off(
    app: Flask, create_user: Callable[..., User], twilio
) -> None:
    owner = phone_owner(create_user, sms=False)
    claim_voucher(owner.id, make_voucher().id)

    assert len(twilio.to(PHONE)) == 1  # the person's own claim code is essential


# Numbers that all mask as +62812••••••89 on the sender's page.
CASES = {
    "no account": "+6281200001189",
    "sms on": "+6281200002189",
    "sms off": "+6281200003189",
    "not proven": "+6281200004189",
}


def _set_up(kind: str, create_user: Callable[..., User]) -> None:
    if kind == "no account":
        return
    owner = phone_owner(create_user, CASES[kind], sms=kind == "sms on")
    if kind == "not proven":
        owner.phone_verified_at = None
        db.session.commit()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_nothing_tells_the_sender_whether_a_phone_is_texted_or_listed(
    redis_app: Flask, create_user: Callable[..., User], htmx: bool
) -> None:
    # With Redis, as in production: delivery is the worker's, never the sender's request.
    client = redis_app.test_client()
    sender = create_user()
    log_in(client, sender)
    voucher = make_voucher()
    bodies: dict[str, str] = {}
    queries: dict[str, list[str]] = {}
    for kind, number in CASES.items():
        _set_up(kind, create_user)
        with count_queries() as statements:
            response = post_share(client, voucher.id, number, htmx=htmx)
        if not htmx:
            assert response.status_code == 303
            response = client.get(response.headers["Location"])
        assert response.status_code == 200
        bodies[kind] = body_without_csrf(response)
        queries[kind] = statements

    assert "Sent to +62812••••••89." in bodies["no account"]
    for kind in CASES:
        assert bodies[kind] == bodies["no account"], kind
        assert queries[kind] == queries["no account"], kind
    listed = [share.recipient_user_id is not None for share in shares()]
    assert sorted(listed) == [False, False, False, True]  # only the "sms off" friend's
