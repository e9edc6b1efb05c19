"""Gifts under races on PostgreSQL: each racer in its own thread, session and connection."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import Claim, ClaimStatus, Gift, GiftStatus, User
from konexi.services.claims.redemption import redeem_by_branch_phone
from konexi.services.sharing.gifts import accept_gift, take_back_gift
from tests.support.factories import make_voucher
from tests.support.faults import postgres_only  # noqa: F401 - database_url: PostgreSQL only
from tests.support.gifts import give, the_gift
from tests.support.races import all_at_once
from tests.support.redemption import make_claim

BRANCH_PHONE = "+622131900001"  # make_company's Menteng branch, verified
RACERS = 6


def test_one_gift_accepted_at_once_many_times_is_accepted_once(
    app: Flask, create_user: Callable[..., User]
) -> None:
    sender = create_user(name="Siti", phone="+6281233330001")
    friend = create_user(name="Budi", phone="+6281233330002")
    token = give(sender, make_claim(sender, make_voucher()), friend.phone)

    results, errors = all_at_once(
        app, [lambda: accept_gift(friend.id, token).outcome for _ in range(RACERS)]
    )

    assert errors == []
    assert set(results) == {"accepted"}  # the winner, and the others told it is theirs already
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.user_id == friend.id)) == 1
    assert the_gift().status == GiftStatus.ACCEPTED


def test_accept_racing_the_senders_redemption_one_wins(
    app: Flask, create_user: Callable[..., User]
) -> None:
    for _round in range(3):
        sender = create_user(name="Siti")
        friend = create_user(name="Budi")
        claim = make_claim(sender, make_voucher())
        token = give(sender, claim, friend.phone)
        code = claim.code

        results, errors = all_at_once(
            app,
            [
                lambda who=friend.id, link=token: ("accept", accept_gift(who, link).outcome),
                lambda typed=code: ("redeem", redeem_by_branch_phone(BRANCH_PHONE, typed).outcome),
            ],
        )

        assert errors == []
        outcomes = dict(results)
        db.session.expire_all()
        old = db.session.get(Claim, claim.id)
        new = db.session.scalar(select(Claim).where(Claim.user_id == friend.id))
        assert old is not None
        if outcomes["redeem"] == "redeemed":
            assert outcomes["accept"] == "unavailable"
            assert old.status == ClaimStatus.REDEEMED and new is None
            assert the_gift().status == GiftStatus.VOID  # the link now says so
        else:
            assert outcomes == {"accept": "accepted", "redeem": "not_found"}
            assert old.status == ClaimStatus.GIVEN and new is not None
            assert new.status == ClaimStatus.ACTIVE


def test_accept_racing_the_take_back_one_wins(app: Flask, create_user: Callable[..., User]) -> None:
    sender = create_user(name="Siti")
    friend = create_user(name="Budi")
    claim = make_claim(sender, make_voucher())
    token = give(sender, claim, friend.phone)
    gift_id = the_gift().id

    results, errors = all_at_once(
        app,
        [
            lambda: accept_gift(friend.id, token).outcome == "accepted",
            lambda: take_back_gift(sender.id, gift_id),
        ],
    )

    assert errors == []
    assert sorted(results) == [False, True]
    gift = the_gift(gift_id)
    holders = db.session.scalar(
        select(func.count(Claim.id)).where(Claim.status == ClaimStatus.ACTIVE)
    )
    assert holders == 1
    assert gift.status in (GiftStatus.ACCEPTED, GiftStatus.TAKEN_BACK)
    assert db.session.scalar(select(func.count(Gift.id))) == 1
