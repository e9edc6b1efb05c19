"""Twilio's webhooks as Twilio calls them: signed requests, an inbound text from a branch phone,
its TwiML reply, and the counter whose branch phone is registered for SMS (no tests here)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_babel import gettext as _
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from konexi.extensions import db
from konexi.models import User
from konexi.models.base import utcnow
from tests.servers.fake_twilio import AUTH_TOKEN
from tests.support.redemption import Counter, make_counter

BASE_URL = "http://konexi.test"  # the tests' BASE_URL: what Twilio calls, not request.url
BRANCH_PHONE = "+622150009999"


def sign(path: str, params: dict[str, str], token: str = AUTH_TOKEN, base: str = BASE_URL) -> str:
    return RequestValidator(token).compute_signature(base + path, params)


def post_signed(
    client: FlaskClient, path: str, params: dict[str, str], signature: str | None = None
) -> TestResponse:
    headers = {"X-Twilio-Signature": sign(path, params) if signature is None else signature}
    return client.post(path, data=params, headers=headers)


def text_in(
    client: FlaskClient, body: str, sender: str = BRANCH_PHONE, signature: str | None = None
) -> TestResponse:
    """An SMS from ``sender`` to Konexi's number, as Twilio posts it."""
    params = {
        "MessageSid": "SM" + "1" * 32,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
    }
    return post_signed(client, "/webhooks/twilio/sms", params, signature)


def reply_of(response: TestResponse) -> str:
    """The text of the TwiML reply."""
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    match = re.search(
        r"<Response><Message>(.*)</Message></Response>", response.get_data(as_text=True)
    )
    assert match, response.get_data(as_text=True)
    return html.unescape(match.group(1))


def indonesian(message: str, **values: str) -> str:
    """A reply as the branch reads it: in Indonesian (English until the catalogue has it)."""
    with force_locale("id"):
        return _(message, **values)


@pytest.fixture
def counter(app: Flask, create_user: Callable[..., User]) -> Counter:
    """The counter scene, its first branch registered for SMS with its owner's consent and the
    number proven."""
    c = make_counter(create_user)
    c.here.phone, c.here.phone_consent_at = BRANCH_PHONE, utcnow()
    c.here.phone_verified_at = utcnow()
    db.session.commit()
    return c
