"""/account shows the email and phone; each changes only once the new address is proven.

Played through the pages with JavaScript off (plain POSTs and 303s) and with htmx, codes read
where people read them (SMTP, fake Twilio).
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import User
from konexi.services.accounts import contact_changes
from konexi.services.accounts.accounts import AccountError
from tests.support.accounts import (
    htmx_headers,
    latest_code,
    location_path,
    received,
    submit,
    submit_login,
)
from tests.support.app import TEST_PASSWORD
from tests.support.auth import log_in

OLD_EMAIL, NEW_EMAIL = "siti@example.com", "siti.baru@example.com"
OLD_PHONE, NEW_PHONE = "+6281211112222", "+6281277778888"


@pytest.fixture
def siti(create_user) -> User:
    return create_user(name="Siti", email=OLD_EMAIL, phone=OLD_PHONE)


def _reload(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _field_error(html: str, field: str) -> str | None:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    return match.group(1) if match else None


def _ask(client: FlaskClient, kind: str, address: str, password: str = TEST_PASSWORD):
    return submit(client, f"/account/{kind}", {"address": address, "password": password})


def _confirm(client: FlaskClient, kind: str, code: str, headers=None):
    return submit(
        client,
        f"/account/{kind}",
        {"new-code": code},
        action=f"/account/{kind}/confirm",
        headers=headers,
    )


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def test_the_account_page_shows_both_contacts_and_whether_each_is_confirmed(
    client, auth, create_user
):
    user = create_user(email=OLD_EMAIL, phone=OLD_PHONE)
    user.phone_verified_at = None
    db.session.commit()
    auth.log_in(user)
    html = client.get("/account").get_data(as_text=True)
    assert OLD_EMAIL in html and "+62 812-1111-2222" in html
    assert "confirmed" in html and "not confirmed" in html
    assert 'href="/account/email"' in html and 'href="/account/phone"' in html


def test_change_email_takes_effect_only_once_the_new_address_is_proven(app, siti, twilio, mailbox):
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, siti)
    log_in(elsewhere, siti)

    response = _ask(here, "email", NEW_EMAIL)
    assert response.status_code == 303 and location_path(response) == "/account/email"
    page = here.get("/account/email").get_data(as_text=True)
    assert f"Confirm {NEW_EMAIL}" in page
    # Until the code is typed back, the old address stays and works; the new one does not.
    assert _reload(siti.id).email == OLD_EMAIL
    assert submit_login(app.test_client(), OLD_EMAIL).status_code == 303
    assert submit_login(app.test_client(), NEW_EMAIL).status_code == 200

    code = latest_code(NEW_EMAIL, twilio, mailbox)
    response = _confirm(here, "email", code)
    assert response.status_code == 303 and location_path(response) == "/account/"
    user = _reload(siti.id)
    assert user.email == NEW_EMAIL and user.email_verified_at is not None
    assert user.pending_email is None
    assert _signed_in(here) and not _signed_in(elsewhere)
    assert submit_login(app.test_client(), NEW_EMAIL).status_code == 303
    assert submit_login(app.test_client(), OLD_EMAIL).status_code == 200
    # The old address and the phone are told; the new address appears masked.
    notice = received(OLD_EMAIL, twilio, mailbox)[-1]
    assert "was changed to s***@example.com" in notice and NEW_EMAIL not in notice
    sms = received(OLD_PHONE, twilio, mailbox)[-1]
    assert "email was changed" in sms and len(sms) <= 160


def test_change_phone_sends_the_code_by_sms_and_tells_the_old_number(app, siti, twilio, mailbox):
    client = app.test_client()
    log_in(client, siti)
    assert _ask(client, "phone", "0812 7777 8888").status_code == 303
    code = latest_code(NEW_PHONE, twilio, mailbox)
    assert _confirm(client, "phone", code).status_code == 303
    user = _reload(siti.id)
    assert user.phone == NEW_PHONE and user.phone_verified_at is not None
    assert "phone number was changed" in received(OLD_PHONE, twilio, mailbox)[-1]
    assert "+62***888" in received(OLD_EMAIL, twilio, mailbox)[-1]
    assert submit_login(app.test_client(), "0812 7777 8888").status_code == 303


def test_without_javascript_errors_show_next_to_each_field(client, siti, create_user):
    create_user(name="Budi", email="budi@example.com")  # proven on another account
    submit_login(client, OLD_EMAIL)

    response = _ask(client, "email", "not-an-address", password="wrong password")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter an email address such as name@example.com." in _field_error(html, "address")
    assert _field_error(html, "password") == "Your password is wrong."
    assert 'value="not-an-address"' in html  # the input comes back

    html = _ask(client, "email", "budi@example.com").get_data(as_text=True)
    assert "This email can&#39;t be used." in _field_error(html, "address")
    html = _ask(client, "email", OLD_EMAIL).get_data(as_text=True)
    assert "already your email" in _field_error(html, "address")
    html = _ask(client, "phone", "+6591234567").get_data(as_text=True)  # not an allowed country
    assert "We can only send text messages" in _field_error(html, "address")

    _ask(client, "email", NEW_EMAIL)
    response = _confirm(client, "email", "12")
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True), "new-code") == "Enter the 6-digit code."
    response = _confirm(client, "email", "000000")
    assert "That code is wrong" in _field_error(response.get_data(as_text=True), "new-code")
    assert _reload(siti.id).email == OLD_EMAIL


def test_with_htmx_the_section_is_swapped_and_success_redirects(client, siti, twilio, mailbox):
    submit_login(client, OLD_EMAIL)
    headers = htmx_headers(client, "/account/email")
    response = client.post(
        "/account/email", data={"address": NEW_EMAIL, "password": "wrong"}, headers=headers
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html and 'id="contact-email"' in html
    assert _field_error(html, "password") == "Your password is wrong."

    response = client.post(
        "/account/email", data={"address": NEW_EMAIL, "password": TEST_PASSWORD}, headers=headers
    )
    assert response.headers["HX-Redirect"] == "/account/email"
    response = client.post("/account/email/confirm", data={"new-code": "000000"}, headers=headers)
    assert response.status_code == 422 and "That code is wrong" in response.get_data(as_text=True)
    code = latest_code(NEW_EMAIL, twilio, mailbox)
    response = client.post("/account/email/confirm", data={"new-code": code}, headers=headers)
    assert response.headers["HX-Redirect"] == "/account/"


def test_proving_a_new_address_detaches_it_where_it_was_unproven(
    app, siti, create_user, twilio, mailbox
):
    typo = create_user(name="Typo", email=NEW_EMAIL, phone="+6281233334444", verified=False)
    client = app.test_client()
    submit_login(client, OLD_EMAIL)
    assert _ask(client, "email", NEW_EMAIL).status_code == 303
    assert _confirm(client, "email", latest_code(NEW_EMAIL, twilio, mailbox)).status_code == 303
    assert _reload(siti.id).email == NEW_EMAIL
    assert _reload(typo.id).email is None
    assert "was removed from your account" in received("+6281233334444", twilio, mailbox)[-1]


def test_an_address_proven_elsewhere_meanwhile_is_refused_at_confirmation(
    app, siti, create_user, twilio, mailbox
):
    other = create_user(name="Other", email=NEW_EMAIL, verified=False)
    client = app.test_client()
    submit_login(client, OLD_EMAIL)
    _ask(client, "email", NEW_EMAIL)
    other = _reload(other.id)
    other.email_verified_at = other.created_at
    db.session.commit()
    response = _confirm(client, "email", latest_code(NEW_EMAIL, twilio, mailbox))
    assert response.status_code == 422
    assert _reload(siti.id).email == OLD_EMAIL and _reload(other.id).email == NEW_EMAIL


def test_cancel_keeps_the_old_address(client, siti):
    submit_login(client, OLD_EMAIL)
    _ask(client, "phone", "0812 7777 8888")
    assert _reload(siti.id).pending_phone == NEW_PHONE
    response = submit(client, "/account/phone", {}, action="/account/phone/cancel")
    assert response.status_code == 303
    user = _reload(siti.id)
    assert user.pending_phone is None and user.phone == OLD_PHONE


def test_asking_is_rate_limited_per_user(client, siti, twilio, mailbox):
    submit_login(client, OLD_EMAIL)
    statuses = [
        _ask(client, "email", f"siti{n}@example.com", password="wrong").status_code
        for n in range(6)
    ]
    assert statuses == [422] * 5 + [429]


def test_asking_for_too_many_codes_says_when_to_ask_again(client, siti, twilio, mailbox):
    """Past the per-destination code limit nothing is sent, and the page says so (not a 500)."""
    submit_login(client, OLD_EMAIL)
    assert _ask(client, "phone", "0812 7777 8888").status_code == 303
    answers = [
        submit(client, "/account/phone", {}, action="/account/phone/resend") for _ in range(3)
    ]
    refused = answers[-1]
    assert refused.status_code == 429, [answer.status_code for answer in answers]
    assert "We did not send a code" in refused.text
    assert len(twilio.to(NEW_PHONE)) == 3


def test_changes_need_the_csrf_token(client, siti):
    submit_login(client, OLD_EMAIL)
    response = client.post("/account/email", data={"address": NEW_EMAIL, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert _reload(siti.id).pending_email is None


def test_an_account_without_a_password_needs_a_fresh_login(app, siti):
    user = _reload(siti.id)
    user.password_hash = None
    db.session.commit()
    with pytest.raises(AccountError) as refused:
        contact_changes.request_change(
            user, "email", NEW_EMAIL, "", fresh_login=False, ip="192.0.2.1"
        )
    assert set(refused.value.errors) == {"password"}
    contact_changes.request_change(user, "email", NEW_EMAIL, "", fresh_login=True, ip="192.0.2.1")
    assert _reload(siti.id).pending_email == NEW_EMAIL


def test_a_detached_contact_is_added_back_from_the_account_page(app, siti, twilio, mailbox):
    user = _reload(siti.id)
    user.phone, user.phone_verified_at = None, None
    db.session.commit()
    client = app.test_client()
    submit_login(client, OLD_EMAIL)
    assert "Your account has no phone number" in client.get("/verify").get_data(as_text=True)
    _ask(client, "phone", "0812 7777 8888")
    assert _confirm(client, "phone", latest_code(NEW_PHONE, twilio, mailbox)).status_code == 303
    assert _reload(siti.id).phone == NEW_PHONE
    assert db.session.scalar(select(User.phone_verified_at).where(User.id == siti.id))


def test_notices_go_in_the_owners_language_whatever_the_page_language(app, siti, twilio, mailbox):
    user = _reload(siti.id)
    user.locale = "id"
    db.session.commit()
    client = app.test_client()  # the pages are in English (no cookie, no Accept-Language)
    submit_login(client, OLD_EMAIL)
    _ask(client, "phone", "0812 7777 8888")
    assert _confirm(client, "phone", latest_code(NEW_PHONE, twilio, mailbox)).status_code == 303
    sms = received(OLD_PHONE, twilio, mailbox)[-1]
    assert sms.startswith("Konexi: nomor HP akun Anda telah diubah.") and len(sms) <= 160
    mail = mailbox.to(OLD_EMAIL)[-1]
    assert mail.subject == "Nomor HP Konexi Anda diubah"


def test_an_unsubscribe_link_for_an_address_that_left_the_account_is_not_a_500(client, siti):
    from konexi.services.privacy import unsubscribe

    token = unsubscribe.make_token(siti)
    user = _reload(siti.id)
    user.email, user.email_verified_at = None, None
    db.session.commit()
    assert client.get(f"/unsubscribe/{token}").status_code == 200  # the confirm page
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 202  # the same answer as for any other link; nothing queued
    assert unsubscribe.process_unsubscribe(siti.id) is True  # a job queued before still finishes
    assert _reload(siti.id).marketing_email is False
