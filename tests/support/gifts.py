"""Test data and helpers for the gift tests (no tests in here)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from konexi.extensions import db
from konexi.models import Claim, Gift, OutboxMessage, User
from konexi.services.sharing import gifts
from tests.support.app import csrf_token_from, csrf_token_of

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
