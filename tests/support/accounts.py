"""Helpers for the account tests: forms with their CSRF token, and the codes people receive.

Codes are read where a person would read them (the fake Twilio API, the SMTP mailbox); while
delivery is not wired up they are read from the outbox row instead.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from konexi.extensions import db
from konexi.models import OutboxMessage, User, VerificationCode
from konexi.services.accounts.verification import Channel, Purpose, issue_code
from tests.support.app import TEST_PASSWORD, csrf_token_from

# A code stands alone (the email's link token may contain digits, but never after a space).
CODE = re.compile(r"(?:^|\s)(\d{6})(?=[\s.,]|$)")
LINK = re.compile(r"https?://[^\s/]+(/verify/email/[^\s]+)")

NEW_USER = {
    "name": "Dewi Lestari",
    "email": "dewi@example.com",
    "phone": "0812 3456 7890",
    "password": TEST_PASSWORD,
}
NEW_USER_PHONE = "+6281234567890"


def received(destination: str, twilio, mailbox) -> list[str]:
    """The texts sent to a phone number or an email address, oldest first."""
    if "@" in destination:
        delivered = [mail.text for mail in mailbox.to(destination)]
    else:
        delivered = [sms.body for sms in twilio.to(destination)]
    if delivered:
        return delivered
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.to_address == destination)
        .order_by(OutboxMessage.id)
    )
    return [row.body for row in rows]


def latest_code(destination: str, twilio, mailbox) -> str:
    texts = received(destination, twilio, mailbox)
    assert texts, f"nothing was sent to {destination}"
    match = CODE.search(texts[-1])
    assert match, f"no code in {texts[-1]!r}"
    return match.group(1)


def latest_link_path(email: str, twilio, mailbox) -> str:
    texts = received(email, twilio, mailbox)
    match = LINK.search(texts[-1]) if texts else None
    assert match, "no verification link was sent"
    return match.group(1)


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def submit(
    client: FlaskClient,
    page: str,
    data: dict[str, str],
    action: str | None = None,
    headers: dict[str, str] | None = None,
) -> TestResponse:
    """Open ``page`` for its CSRF token, then post ``data`` to ``action`` (default: the page)."""
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(action or page, data={**data, "csrf_token": token}, headers=headers or {})


def sign_up(client: FlaskClient, **fields: str) -> TestResponse:
    return submit(client, "/signup", {**NEW_USER, **fields})


def submit_login(
    client: FlaskClient, identifier: str, password: str = TEST_PASSWORD, remember: bool = False
) -> TestResponse:
    data = {"identifier": identifier, "password": password}
    if remember:
        data["remember"] = "y"
    return submit(client, "/login", data)


def location_path(response: TestResponse) -> str:
    return urlsplit(response.headers["Location"]).path


def htmx_headers(client: FlaskClient, page: str = "/verify") -> dict[str, str]:
    """What htmx sends: HX-Request and the CSRF header from the page's hx-headers."""
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return {"HX-Request": "true", "X-CSRFToken": token, "HX-Current-URL": "http://localhost/"}


def email_code_for(user: User) -> VerificationCode:
    """A committed email-verification code for the user's address (what its link names)."""
    assert user.email is not None
    row, _code = issue_code(
        purpose=Purpose.VERIFY_EMAIL,
        channel=Channel.EMAIL,
        destination=user.email,
        user_id=user.id,
        ip=None,
    )
    db.session.commit()
    return row
