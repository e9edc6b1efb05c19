"""Changing and resetting a password; neither tells a stranger who has an account."""

from __future__ import annotations

from sqlalchemy import select

from konexi.extensions import db
from konexi.models import OutboxMessage, User
from tests.support.accounts import (
    latest_code,
    location_path,
    received,
    submit,
    submit_login,
    wrong_code,
)
from tests.support.app import TEST_PASSWORD

NEW_PASSWORD = "a brand new passphrase"
NEUTRAL = "If an account matches, we sent a code."


def _name_on_page(client) -> str | None:
    html = client.get("/").get_data(as_text=True)
    if '<span class="who">' not in html:
        return None
    return html.split('<span class="who">', 1)[1].split("</span>", 1)[0]


def _change(client, current: str, new: str):
    return submit(client, "/account/password", {"current_password": current, "new_password": new})


def test_change_password_ends_other_sessions_and_keeps_this_one(app, create_user, mailbox):
    create_user(name="Siti", email="siti@example.com")
    here, phone_elsewhere, remembered = app.test_client(), app.test_client(), app.test_client()
    submit_login(here, "siti@example.com")
    submit_login(phone_elsewhere, "siti@example.com")
    submit_login(remembered, "siti@example.com", remember=True)
    remembered.delete_cookie("session")  # a new browser session: only the remember cookie is left
    assert _name_on_page(remembered) == "Siti"

    response = _change(here, TEST_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303
    assert _name_on_page(here) == "Siti"
    assert _name_on_page(phone_elsewhere) is None
    remembered.delete_cookie("session")
    assert _name_on_page(remembered) is None
    assert submit_login(app.test_client(), "siti@example.com", NEW_PASSWORD).status_code == 303
    assert "password was just changed" in received("siti@example.com", None, mailbox)[-1]


def test_change_password_needs_the_current_one_and_a_good_new_one(client, create_user):
    create_user(email="siti@example.com", phone="+6281211112222")
    submit_login(client, "siti@example.com")
    html = _change(client, "not my password", NEW_PASSWORD).get_data(as_text=True)
    assert "Your current password is wrong." in html
    html = _change(client, TEST_PASSWORD, "081211112222").get_data(as_text=True)
    assert "can&#39;t be your email address or phone number" in html
    html = _change(client, TEST_PASSWORD, "short").get_data(as_text=True)
    assert "Use at least 8 characters." in html


def test_change_password_needs_a_login(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and location_path(response) == "/login"


def _forgot(client, identifier: str):
    return submit(client, "/forgot-password", {"identifier": identifier})


def _reset(client, identifier: str, code: str, password: str = NEW_PASSWORD):
    return submit(
        client,
        "/reset-password",
        {"identifier": identifier, "code": code, "new_password": password},
    )


def test_reset_by_sms_with_a_local_number(client, create_user, twilio, mailbox):
    create_user(name="Budi", phone="+6281233334444", verified=False)
    response = _forgot(client, "0812 3333 4444")
    assert response.status_code == 303 and location_path(response) == "/reset-password"
    page = client.get("/reset-password").get_data(as_text=True)
    assert NEUTRAL in page and 'value="+6281233334444"' in page  # kept for the next form

    code = latest_code("+6281233334444", twilio, mailbox)
    response = _reset(client, "+6281233334444", code)
    assert response.status_code == 303
    assert _name_on_page(client) == "Budi"
    user = db.session.scalar(select(User).where(User.phone == "+6281233334444"))
    db.session.refresh(user)
    assert user.session_version == 2
    assert user.phone_verified_at is not None  # the code reached that phone
    assert (
        submit_login(client.application.test_client(), "08123333 4444", NEW_PASSWORD).status_code
        == 303
    )


def test_reset_by_email(client, create_user, twilio, mailbox):
    create_user(name="Siti", email="siti@example.com")
    _forgot(client, "Siti@Example.com")
    code = latest_code("siti@example.com", twilio, mailbox)
    assert _reset(client, "siti@example.com", code).status_code == 303
    assert (
        submit_login(client.application.test_client(), "siti@example.com", NEW_PASSWORD).status_code
        == 303
    )
    assert submit_login(client.application.test_client(), "siti@example.com").status_code == 200


def test_unknown_account_gets_the_same_answer_and_nothing_is_sent(client, twilio, mailbox):
    for identifier in ("nobody@example.com", "0812 5555 6666"):
        response = _forgot(client, identifier)
        assert response.status_code == 303 and location_path(response) == "/reset-password"
        assert NEUTRAL in client.get("/reset-password").get_data(as_text=True)
    assert twilio.messages == [] and mailbox.messages == []
    assert db.session.scalars(select(OutboxMessage)).all() == []
    html = _reset(client, "nobody@example.com", "123456").get_data(as_text=True)
    assert "That code is wrong or has expired." in html


def test_reset_code_allows_five_tries(client, create_user, twilio, mailbox):
    create_user(email="siti@example.com")
    _forgot(client, "siti@example.com")
    code = latest_code("siti@example.com", twilio, mailbox)
    for _ in range(5):
        html = _reset(client, "siti@example.com", wrong_code(code)).get_data(as_text=True)
        assert "That code is wrong or has expired." in html
        assert 'value="siti@example.com"' in html and NEW_PASSWORD not in html
    assert _reset(client, "siti@example.com", code).status_code == 200
    assert submit_login(client, "siti@example.com").status_code == 303  # old password still works


def test_reset_codes_are_throttled_per_ip_whether_or_not_accounts_exist(
    app_factory, create_user, twilio, mailbox
):
    """CODES_PER_IP_PER_HOUR (300 by default, for carrier-grade NAT), here set to 3."""
    client = app_factory(CODES_PER_IP_PER_HOUR="3").test_client()
    create_user(email="siti@example.com")
    for identifier in ("siti@example.com", "a@example.com", "b@example.com"):
        assert _forgot(client, identifier).status_code == 303
    response = _forgot(client, "c@example.com")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "We did not send a code: too many were asked for. You can ask again in 60 min" in html
    assert 'value="c@example.com"' in html
    # SMS are counted apart from emails.
    assert _forgot(client, "0812 5555 6666").status_code == 303


def test_reset_codes_are_throttled_per_destination(app, create_user):
    """Three an hour from one requester, six from everyone together."""
    create_user(email="siti@example.com")
    stranger = _client_at(app, "198.51.100.1")
    assert [_forgot(stranger, "siti@example.com").status_code for _ in range(4)] == [303] * 3 + [
        200
    ]
    for n in range(2, 5):
        assert _forgot(_client_at(app, f"198.51.100.{n}"), "siti@example.com").status_code == 303
    assert _forgot(_client_at(app, "198.51.100.9"), "siti@example.com").status_code == 200


def test_strangers_asking_for_codes_do_not_lock_the_owner_out_of_reset_by_sms(
    app, create_user, twilio
):
    """Someone else's requests for a number (and a sign-up with it) leave its owner able to get
    a reset code; before, two anonymous requests used up the hour."""
    create_user(email="siti@example.com", phone="+6281255550001")
    stranger = _client_at(app, "198.51.100.1")
    statuses = [_forgot(stranger, "0812 5555 0001").status_code for _ in range(5)]
    assert statuses == [303] * 3 + [200] * 2
    owner = _client_at(app, "203.0.113.50")
    assert _forgot(owner, "0812 5555 0001").status_code == 303
    code = latest_code("+6281255550001", twilio, None)
    assert _reset(owner, "+6281255550001", code).status_code == 303
    texts = [sms.body for sms in twilio.to("+6281255550001")]
    # Four codes (three for the stranger, one for the owner), then the notice of the new password.
    assert len(texts) == 5 and "code" not in texts[-1].lower(), texts


def _client_at(app, ip: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client
