"""Verification codes: hashed, 10 minutes, 5 tries, 3 sends an hour per destination from one IP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import User, VerificationCode
from konexi.services.accounts import account_messages, accounts
from konexi.services.accounts.verification import (
    Channel,
    CodeStatus,
    Purpose,
    TooManyCodes,
    check_code,
    issue_code,
)
from tests.support.accounts import (
    NEW_USER_PHONE,
    htmx_headers,
    latest_code,
    latest_link_path,
    received,
    sign_up,
    submit,
    wrong_code,
)


def _move_back(column: str, delta: timedelta) -> None:
    """Move time: shift every code's timestamp into the past (no sleeping in tests)."""
    for row in db.session.scalars(select(VerificationCode)):
        setattr(row, column, getattr(row, column) - delta)
    db.session.commit()


def _me() -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.phone == NEW_USER_PHONE))


def _verify_phone(client, code: str):
    return submit(client, "/verify", {"phone-code": code}, action="/verify/phone")


def test_codes_are_stored_hashed(client, twilio, mailbox):
    sign_up(client)
    code = latest_code(NEW_USER_PHONE, twilio, mailbox)
    rows = db.session.scalars(select(VerificationCode)).all()
    assert len(rows) == 2
    for row in rows:
        assert code not in row.code_hash
        assert NEW_USER_PHONE not in row.destination_hash
        assert row.ip_hash and "127.0.0.1" not in row.ip_hash


def test_wrong_code_counts_tries_and_the_sixth_fails_even_when_right(client, twilio, mailbox):
    sign_up(client)
    code = latest_code(NEW_USER_PHONE, twilio, mailbox)
    response = _verify_phone(client, wrong_code(code))
    assert response.status_code == 200
    assert "That code is wrong. You have 4 tries left." in response.get_data(as_text=True)
    for _ in range(3):
        _verify_phone(client, wrong_code(code))
    html = _verify_phone(client, wrong_code(code)).get_data(as_text=True)
    assert "Too many wrong tries. Ask for a new code." in html

    html = _verify_phone(client, code).get_data(as_text=True)
    assert "Too many wrong tries. Ask for a new code." in html
    assert _me().phone_verified_at is None


def test_a_new_code_works_after_too_many_tries(client, twilio, mailbox):
    sign_up(client)
    wrong = wrong_code(latest_code(NEW_USER_PHONE, twilio, mailbox))
    for _ in range(5):
        _verify_phone(client, wrong)
    submit(client, "/verify", {}, action="/verify/phone/resend")
    assert _verify_phone(client, latest_code(NEW_USER_PHONE, twilio, mailbox)).status_code == 303
    assert _me().phone_verified_at is not None


def test_expired_code_fails(client, twilio, mailbox):
    sign_up(client)
    code = latest_code(NEW_USER_PHONE, twilio, mailbox)
    _move_back("expires_at", timedelta(minutes=11))
    html = _verify_phone(client, code).get_data(as_text=True)
    assert "That code has expired. Ask for a new code." in html
    assert _me().phone_verified_at is None


def test_a_code_is_typed_with_spaces_and_a_short_one_costs_no_try(client, twilio, mailbox):
    sign_up(client)
    code = latest_code(NEW_USER_PHONE, twilio, mailbox)
    html = _verify_phone(client, "123").get_data(as_text=True)
    assert "Enter the 6-digit code." in html
    assert (
        db.session.scalar(
            select(VerificationCode.attempts).where(VerificationCode.purpose == "verify_phone")
        )
        == 0
    )
    assert _verify_phone(client, f"{code[:3]} {code[3:]}").status_code == 303


def test_only_the_newest_code_works(client, twilio, mailbox):
    sign_up(client)
    old = latest_code(NEW_USER_PHONE, twilio, mailbox)
    submit(client, "/verify", {}, action="/verify/phone/resend")
    new = latest_code(NEW_USER_PHONE, twilio, mailbox)
    if old != new:
        assert _verify_phone(client, old).status_code == 200
    assert _verify_phone(client, new).status_code == 303


def test_fourth_code_to_one_number_within_the_hour_is_refused(client, twilio, mailbox):
    sign_up(client)  # the first code
    for _ in range(2):
        assert submit(client, "/verify", {}, action="/verify/phone/resend").status_code == 303
    response = submit(client, "/verify", {}, action="/verify/phone/resend")
    assert response.status_code == 303
    html = client.get("/verify").get_data(as_text=True)
    assert "We did not send a code: too many were asked for. You can ask again in 60 min" in html
    assert len(received(NEW_USER_PHONE, twilio, mailbox)) == 3

    # An hour later, sending works again.
    _move_back("created_at", timedelta(hours=1))
    submit(client, "/verify", {}, action="/verify/phone/resend")
    assert len(received(NEW_USER_PHONE, twilio, mailbox)) == 4


def test_codes_from_one_ip_meet_the_configured_figure(app_factory, create_user):
    """CODES_PER_IP_PER_HOUR is a setting (300 by default, for carrier-grade NAT)."""
    ids = [create_user(verified=False).id for _ in range(4)]
    configured = app_factory(CODES_PER_IP_PER_HOUR="3")
    with configured.test_request_context():
        users = [db.session.get(User, user_id) for user_id in ids]
        for user in users[:3]:
            accounts.send_phone_code(user, "203.0.113.9")
        with pytest.raises(TooManyCodes) as refused:
            accounts.send_phone_code(users[3], "203.0.113.9")
        assert refused.value.minutes_to_wait() == 60
        accounts.send_phone_code(users[3], "203.0.113.10")  # another IP is fine
        db.session.remove()


def test_htmx_verify_answers_with_the_fragment_only(client, twilio, mailbox):
    sign_up(client)
    code = latest_code(NEW_USER_PHONE, twilio, mailbox)
    headers = htmx_headers(client)
    response = client.post("/verify/phone", data={"phone-code": wrong_code(code)}, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card" id="verify-phone"')
    assert "<html" not in html and "That code is wrong" in html
    assert "HX-Request" in response.headers.get("Vary", "")

    response = client.post("/verify/phone", data={"phone-code": code}, headers=headers)
    html = response.get_data(as_text=True)
    assert "is verified" in html and "<html" not in html

    response = client.post("/verify/email/resend", headers=headers)
    assert "We sent a new code and link to dewi@example.com." in response.get_data(as_text=True)
    code = latest_code("dewi@example.com", twilio, mailbox)
    response = client.post("/verify/email", data={"email-code": code}, headers=headers)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"
    assert _me().is_verified


def test_an_old_or_forged_email_link_does_not_verify(client, twilio, mailbox):
    sign_up(client)
    old_link = latest_link_path("dewi@example.com", twilio, mailbox)
    submit(client, "/verify", {}, action="/verify/email/resend")
    assert "can no longer be used" in client.get(old_link).get_data(as_text=True)
    assert "can no longer be used" in client.get("/verify/email/forged").get_data(as_text=True)
    assert _me().email_verified_at is None
    assert "Your email is verified" in client.get(
        latest_link_path("dewi@example.com", twilio, mailbox)
    ).get_data(as_text=True)


def test_codes_belong_to_their_purpose_and_destination(app, create_user):
    user = create_user(verified=False)
    with app.test_request_context():
        _row, code = issue_code(
            purpose=Purpose.VERIFY_PHONE,
            channel=Channel.SMS,
            destination=user.phone,
            user_id=user.id,
            ip="198.51.100.1",
        )
        db.session.commit()
        wrong_purpose = check_code(
            purpose=Purpose.RESET_PASSWORD, destination=user.phone, code=code
        )
        assert wrong_purpose.status is CodeStatus.MISSING
        assert check_code(
            purpose=Purpose.VERIFY_PHONE, destination=user.phone, code=code, user_id=user.id
        ).ok
        again = check_code(
            purpose=Purpose.VERIFY_PHONE, destination=user.phone, code=code, user_id=user.id
        )
        assert again.status is CodeStatus.MISSING  # used once, never twice


def test_a_detached_phone_gets_no_code_and_no_refusal(create_user: Callable[..., User]) -> None:
    user = create_user(verified=False)
    user.phone = None  # detached: a new number is added from the account page
    db.session.commit()

    refused = account_messages.queue_verification_code(user, Purpose.VERIFY_PHONE, "203.0.113.9")

    assert refused is None
    assert db.session.scalars(select(VerificationCode)).all() == []
