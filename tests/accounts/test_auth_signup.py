"""Signing up: one form, a clear message next to any bad field, nothing typed is lost."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import User
from konexi.services.accounts import accounts
from tests.support.accounts import (
    NEW_USER,
    NEW_USER_PHONE,
    latest_code,
    latest_link_path,
    location_path,
    received,
    sign_up,
    submit,
)
from tests.support.app import TEST_PASSWORD


def _user(email: str = "dewi@example.com") -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_sign_up_then_verify_phone_and_email_by_code(client, twilio, mailbox):
    response = sign_up(client)
    assert response.status_code == 303
    assert location_path(response) == "/verify"

    user = _user()
    assert user is not None and user.phone == NEW_USER_PHONE and not user.is_verified
    page = client.get("/verify")
    assert "+62 812-3456-7890" in page.get_data(as_text=True)

    phone_code = latest_code(NEW_USER_PHONE, twilio, mailbox)
    assert "Never share it" in received(NEW_USER_PHONE, twilio, mailbox)[-1]
    response = submit(client, "/verify", {"phone-code": phone_code}, action="/verify/phone")
    assert response.status_code == 303
    assert _user().phone_verified_at is not None

    email_code = latest_code("dewi@example.com", twilio, mailbox)
    response = submit(client, "/verify", {"email-code": email_code}, action="/verify/email")
    assert response.status_code == 303 and location_path(response) == "/"
    assert _user().is_verified
    assert "You can claim vouchers now" in client.get("/").get_data(as_text=True)


def test_the_link_in_the_email_verifies_without_typing(client, twilio, mailbox):
    sign_up(client)
    path = latest_link_path("dewi@example.com", twilio, mailbox)

    page = client.get(path)
    assert page.status_code == 200
    assert "Your email is verified" in page.get_data(as_text=True)
    assert _user().email_verified_at is not None
    assert _user().phone_verified_at is None


def test_the_link_opened_logged_out_asks_to_log_in_and_then_verifies(client, twilio, mailbox):
    # Whoever opens the link holds the inbox, not necessarily the account: someone may have
    # signed up with another person's email. The address is proven only for its account holder.
    sign_up(client)
    path = latest_link_path("dewi@example.com", twilio, mailbox)
    client.post("/logout", data={"csrf_token": _token(client)})

    page = client.get(path)
    assert page.status_code == 403
    assert "Log in to confirm your email" in page.get_data(as_text=True)
    assert _user().email_verified_at is None

    response = submit(
        client,
        "/login",
        {"identifier": "dewi@example.com", "password": TEST_PASSWORD},
        action="/login?next=" + path,
    )
    assert response.status_code == 303 and location_path(response) == path
    assert "Your email is verified" in client.get(path).get_data(as_text=True)
    assert _user().email_verified_at is not None


def _token(client) -> str:
    from tests.support.app import csrf_token_from

    return csrf_token_from(client.get("/").get_data(as_text=True))


def test_local_phone_number_is_stored_in_international_form(client):
    sign_up(client, phone="081234567890")
    assert _user().phone == "+6281234567890"


def test_email_domain_is_stored_lower_case(client):
    sign_up(client, email="Dewi@Example.COM")
    assert _user("Dewi@example.com") is not None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "0812", "Enter a mobile number such as 0812 3456 7890."),
        ("phone", "021 5551 234", "Enter a mobile number that can receive SMS."),
        ("email", "dewi@", "Enter an email address such as name@example.com."),
        ("password", "short", "Use at least 8 characters."),
        ("password", "dewi@example.com", "can&#39;t be your email address or phone number"),
        ("name", "   ", "Enter your name."),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_kept(client, field, value, message):
    response = sign_up(client, **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert f'id="{field}-error"' in html
    assert 'aria-invalid="true"' in html
    for other, typed in NEW_USER.items():
        if other not in (field, "password"):
            assert f'value="{typed}"' in html
    assert NEW_USER["password"] not in html  # a password is never sent back
    assert _user() is None


def test_duplicate_email_gets_a_neutral_message_and_nothing_is_sent(
    client, create_user, twilio, mailbox
):
    create_user(email="dewi@example.com")
    response = sign_up(client, email="DEWI@example.com")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This email can&#39;t be used for a new account." in html
    assert 'href="/forgot-password"' in html
    assert 'value="Dewi Lestari"' in html and 'value="0812 3456 7890"' in html
    assert received("DEWI@example.com", twilio, mailbox) == []
    assert received(NEW_USER_PHONE, twilio, mailbox) == []


def test_duplicate_phone_gets_a_neutral_message(client, create_user):
    create_user(phone=NEW_USER_PHONE)
    html = sign_up(client, phone="+62 812 3456 7890").get_data(as_text=True)
    assert "This phone number can&#39;t be used for a new account." in html
    assert 'value="dewi@example.com"' in html


def test_a_sign_up_race_on_the_same_email_gets_the_field_error_not_a_500(
    client, create_user, monkeypatch
):
    # The other sign-up commits between our check and our insert.
    real_check = accounts.unavailable_contacts
    calls = {"n": 0}

    def late_check(email, phone):
        calls["n"] += 1
        if calls["n"] == 1:
            create_user(email="dewi@example.com")
            return {}
        return real_check(email, phone)

    monkeypatch.setattr(accounts, "unavailable_contacts", late_check)
    response = sign_up(client)
    assert response.status_code == 200
    assert "This email can&#39;t be used for a new account." in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(User.id))) == 1


def test_sign_up_without_csrf_token_is_refused(client):
    response = client.post("/signup", data=NEW_USER)
    assert response.status_code == 400
    assert _user() is None
