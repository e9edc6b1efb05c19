"""Test data and helpers for the sharing tests (no tests in here)."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from html import unescape

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from konexi.extensions import db
from konexi.models import OutboxMessage, Share
from konexi.models.base import utcnow
from konexi.services.sharing import sharing
from tests.support.app import csrf_token_from

FRIEND_LOCAL = "0812 3456 7890"
FRIEND_PHONE = "+6281234567890"
FRIEND_EMAIL = "budi.friend@example.com"
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/vouchers/1"}

_numbers = itertools.count(1)


def share_page_token(client: FlaskClient, voucher_id: int) -> str:
    response = client.get(f"/vouchers/{voucher_id}/share")
    assert response.status_code == 200
    return csrf_token_from(response.get_data(as_text=True))


def post_share(
    client: FlaskClient,
    voucher_id: int,
    contact: str,
    message: str = "",
    htmx: bool = False,
) -> TestResponse:
    """Submit the share form as a browser would (with the CSRF token of the share page)."""
    token = share_page_token(client, voucher_id)
    return client.post(
        f"/vouchers/{voucher_id}/share",
        data={"csrf_token": token, "contact": contact, "message": message},
        headers=HTMX if htmx else {},
    )


def body_without_csrf(response: TestResponse) -> str:
    """A page's HTML without its CSRF tokens (they differ on every page), to compare pages."""
    html = unescape(response.get_data(as_text=True))
    html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", html)
    return re.sub(r'("X-CSRFToken": ")[^"]+', r"\1", html)


def token_in(text: str) -> str:
    match = re.search(r"/s/([A-Za-z0-9_-]{16,})", text)
    assert match, f"no share link in {text!r}"
    return match.group(1)


def seed_shares(
    count: int,
    *,
    sender_id: int | None,
    voucher_id: int,
    ip: str | None = "127.0.0.1",
    hours_ago: float = 1,
) -> None:
    """Shares made earlier (no messages), to reach the daily limits quickly."""
    when = utcnow() - timedelta(hours=hours_ago)
    for _ in range(count):
        n = next(_numbers)
        db.session.add(
            Share(
                token=f"seed-{n:08d}-abcdefgh",
                voucher_id=voucher_id,
                sender_id=sender_id,
                channel="sms",
                recipient_hash=sharing.recipient_hash(f"+62812000{n:05d}"),
                ip_hash=sharing.ip_hash(ip),
                created_at=when,
            )
        )
    db.session.commit()


def share_messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "share").order_by(OutboxMessage.id)
        )
    )


def shares() -> list[Share]:
    db.session.expire_all()
    return list(db.session.scalars(select(Share).order_by(Share.id)))
