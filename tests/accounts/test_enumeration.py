"""Nobody learns whether an email or phone has an account from the login, forgot-password or
reset forms: same status, same page apart from the echoed input, same cookies, and the same
password-hash work for a known and an unknown account."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.accounts import sign_up, submit, submit_login
from tests.support.app import TEST_PASSWORD

KNOWN, UNKNOWN = "siti@example.com", "nobody@example.com"
KNOWN_PHONE, UNKNOWN_PHONE = "+6281211112222", "+6281299998888"


def _comparable(response: TestResponse, typed: str) -> str:
    """The page without what differs by design: the echoed input and this session's CSRF token."""
    html = response.get_data(as_text=True).replace(typed, "<typed>")
    html = re.sub(r'name="csrf_token"([^>]*)value="[^"]+"', r'name="csrf_token"\1value=""', html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": ""', html)


def _cookie_names(response: TestResponse) -> list[str]:
    return sorted(c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie"))


def _same_answer(known: TestResponse, unknown: TestResponse, typed: tuple[str, str]) -> None:
    assert known.status_code == unknown.status_code
    assert known.headers.get("Location", "").replace(typed[0], "<typed>") == unknown.headers.get(
        "Location", ""
    ).replace(typed[1], "<typed>")
    assert _cookie_names(known) == _cookie_names(unknown)
    assert _comparable(known, typed[0]) == _comparable(unknown, typed[1])


@pytest.fixture
def siti(create_user):
    return create_user(name="Siti", email=KNOWN, phone=KNOWN_PHONE)


@pytest.mark.parametrize(
    ("known", "unknown"), [(KNOWN, UNKNOWN), ("0812 1111 2222", "0812 9999 8888")]
)
def test_login_answers_a_wrong_password_and_an_unknown_account_alike(app, siti, known, unknown):
    answers = [submit_login(app.test_client(), who, "not the password") for who in (known, unknown)]
    _same_answer(*answers, typed=(known, unknown))
    assert answers[0].status_code == 200


@pytest.mark.parametrize(("known", "unknown"), [(KNOWN, UNKNOWN), (KNOWN_PHONE, UNKNOWN_PHONE)])
def test_forgot_password_answers_alike_and_so_does_the_next_page(
    app, siti, twilio, mailbox, known, unknown
):
    clients = [app.test_client(), app.test_client()]
    asked = [
        submit(client, "/forgot-password", {"identifier": who})
        for client, who in zip(clients, (known, unknown), strict=True)
    ]
    _same_answer(*asked, typed=(known, unknown))
    assert asked[0].status_code == 303
    pages = [client.get(asked[0].headers["Location"]) for client in clients]
    _same_answer(*pages, typed=(known, unknown))


def test_a_wrong_reset_code_answers_alike(app, siti, twilio, mailbox):
    answers = []
    for who in (KNOWN, UNKNOWN):
        client = app.test_client()
        submit(client, "/forgot-password", {"identifier": who})
        form = {"identifier": who, "code": "123456", "new_password": "a new passphrase"}
        answers.append(submit(client, "/reset-password", form))
    _same_answer(*answers, typed=(KNOWN, UNKNOWN))


@pytest.fixture
def hash_checks(monkeypatch):
    """Counts argon2 verifications (the slow part of a login) without changing them."""
    calls: list[str] = []
    real = PasswordHasher.verify

    def counting(self, hash, password):
        calls.append(hash)
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


def test_a_login_for_an_unknown_account_still_verifies_a_password_hash(app, siti, hash_checks):
    submit_login(app.test_client(), KNOWN, "not the password")
    known = len(hash_checks)
    submit_login(app.test_client(), UNKNOWN, "not the password")
    unknown = len(hash_checks) - known
    assert known == unknown == 1
    assert hash_checks[0].startswith("$argon2id$") and hash_checks[1].startswith("$argon2id$")


def test_a_closed_account_costs_the_same_hash_work_as_any_other(app, siti, hash_checks):
    """Only its owner's password tells that an account is closed (and offers to reopen it)."""
    from konexi.extensions import db
    from konexi.models.base import utcnow

    siti.status = "closed"
    siti.closed_at = utcnow()
    db.session.commit()
    closed = submit_login(app.test_client(), KNOWN, "not the password")
    assert len(hash_checks) == 1
    unknown = submit_login(app.test_client(), UNKNOWN, "not the password")
    assert len(hash_checks) == 2
    _same_answer(closed, unknown, typed=(KNOWN, UNKNOWN))
    assert submit_login(app.test_client(), KNOWN, TEST_PASSWORD).status_code == 303
    assert len(hash_checks) == 3


def test_sign_up_probing_is_rate_limited_per_ip(app):
    """Sign-up must say when an email is taken (the form offers to log in or reset); what it
    can tell a prober is limited to 30 tries a minute, 400 an hour, per IP (a promotion stand
    signs up one person every two seconds at most)."""
    client: FlaskClient = app.test_client()
    statuses = [
        sign_up(client, email=f"probe{n}@example.com", password="x").status_code for n in range(31)
    ]
    assert 429 not in statuses[:30] and statuses[30] == 429
