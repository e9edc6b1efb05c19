"""Test data and helpers for the gift tests (no tests in here)."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from konexi.extensions import db
from konexi.models import Claim, Gift, GiftStatus, OutboxMessage, Share, User, Voucher
from konexi.models.base import utcnow
from konexi.services.sharing import gifts
from konexi.services.sharing.sharing import recipient_hash
from tests.support.app import csrf_token_from, csrf_token_of
from tests.support.redemption import make_claim

_LINK = re.compile(r"/g/([A-Za-z0-9_-]+)")


def gift_token_in(text: str) -> str:
    """The token of the ``/g/<token>`` link in a message."""
    match = _LINK.search(text)
    assert match, f"no gift link in {text!r}"
    return match.group(1)


def gift_messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "gift").order_by(OutboxMessage.id)
        )
    )


def give(sender: User, claim: Claim, contact: str, locale: str = "en") -> str:
    """``sender`` gives ``claim`` to ``contact``; returns the token of the link the friend got."""
    gifts.give_claim(sender.id, claim.id, contact, locale, "10.0.0.1")
    return gift_token_in(gift_messages()[-1].body)


def the_gift(gift_id: int | None = None) -> Gift:
    db.session.expire_all()
    if gift_id is not None:
        gift = db.session.get(Gift, gift_id)
        assert gift is not None
        return gift
    latest = db.session.scalars(select(Gift).order_by(Gift.id.desc())).first()
    assert latest is not None
    return latest


def post_give(client: FlaskClient, claim_id: int, contact: str, csrf: bool = True) -> TestResponse:
    """Submit the give form as a browser would (with the CSRF token of the give page)."""
    data = {"contact": contact}
    if csrf:
        page = client.get(f"/me/vouchers/{claim_id}/give").get_data(as_text=True)
        data["csrf_token"] = csrf_token_from(page)
    return client.post(f"/me/vouchers/{claim_id}/give", data=data)


def post_with_token(client: FlaskClient, url: str) -> TestResponse:
    """POST a button's form (no fields but the CSRF token), as a signed-in browser would."""
    return client.post(url, data={"csrf_token": csrf_token_of(client)})


def pending_gift(sender: User, to: User, voucher: Voucher) -> str:
    """A gift of a new claim of ``sender`` waiting for ``to`` (by phone), made directly in the
    database (no message, no daily limit); returns the link's token."""
    claim = make_claim(sender, voucher)
    token = secrets.token_urlsafe(16)
    db.session.add(
        Gift(
            token_hash=gifts.token_hash(token),
            claim_id=claim.id,
            voucher_id=voucher.id,
            sender_id=sender.id,
            channel="sms",
            recipient_hash=recipient_hash(to.phone),
            status=GiftStatus.PENDING,
            expires_at=utcnow() + timedelta(days=7),
        )
    )
    db.session.commit()
    return token


def pending_gift_id(sender: User, to: User, voucher: Voucher) -> int:
    token = pending_gift(sender, to, voucher)
    gift = gifts.gift_for_token(token)
    assert gift is not None
    return gift.id


def live_share_id(sender: User, voucher: Voucher) -> int:
    """A share link of ``sender`` that still works (made directly, no message)."""
    share = Share(
        token=secrets.token_urlsafe(16),
        voucher_id=voucher.id,
        sender_id=sender.id,
        channel="sms",
        recipient_hash="0" * 64,
    )
    db.session.add(share)
    db.session.commit()
    return share.id
