"""Account pre-hijacking: an address proven by its owner wins over an unproven one.

The attack: someone signs up with the victim's email and their own phone and proves only the
phone; the victim, told the email "can't be used", resets the password by email and uses the
account; later the attacker resets by SMS and reads the victim's claims. Every test here is
played through the pages, with codes read where people read them (SMTP, fake Twilio).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import LinkedAccount, User
from konexi.models.base import utcnow
from tests.support.accounts import (
    latest_code,
    latest_link_path,
    location_path,
    received,
    sign_up,
    submit,
    submit_login,
)
from tests.support.app import csrf_token_from
from tests.support.auth import log_in
from tests.support.social import sign_in_at_provider

VICTIM_EMAIL = "vera@example.com"
VICTIM_PHONE = "+6281255550002"
ATTACKER_EMAIL = "mallory@example.com"
ATTACKER_PHONE = "+6281299990001"
ATTACKER_PASSWORD = "mallory's own password"  # noqa: S105
NEW_PASSWORD = "a brand new passphrase"  # noqa: S105


def _user(**where: str) -> User | None:
    db.session.expire_all()
    column, value = next(iter(where.items()))
    return db.session.scalar(select(User).where(getattr(User, column) == value))


def _verify_phone(client: FlaskClient, phone: str, twilio, mailbox) -> None:
    code = latest_code(phone, twilio, mailbox)
    response = submit(client, "/verify", {"phone-code": code}, action="/verify/phone")
    assert response.status_code == 303


def _verify_email(client: FlaskClient, email: str, twilio, mailbox) -> None:
    code = latest_code(email, twilio, mailbox)
    response = submit(client, "/verify", {"email-code": code}, action="/verify/email")
    assert response.status_code == 303


def _reset(client: FlaskClient, identifier: str, twilio, mailbox, password=NEW_PASSWORD):
    submit(client, "/forgot-password", {"identifier": identifier})
    code = latest_code(identifier, twilio, mailbox)
    return submit(
        client,
        "/reset-password",
        {"identifier": identifier, "code": code, "new_password": password},
    )


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def _attacker_signs_up_with_the_victims_email(app, twilio, mailbox, prove_phone: bool):
    attacker = app.test_client()
    response = sign_up(
        attacker,
        name="Mallory",
        email=VICTIM_EMAIL,
        phone=ATTACKER_PHONE,
        password=ATTACKER_PASSWORD,
    )
    assert response.status_code == 303
    if prove_phone:
        _verify_phone(attacker, ATTACKER_PHONE, twilio, mailbox)
    return attacker


def test_pre_hijack_the_victim_never_uses_the_attackers_account(app, twilio, mailbox):
    attacker = _attacker_signs_up_with_the_victims_email(app, twilio, mailbox, prove_phone=True)

    # The victim may not sign up with their own email, and is told to reset the password.
    victim = app.test_client()
    html = sign_up(victim, name="Vera", email=VICTIM_EMAIL, phone=VICTIM_PHONE).get_data(
        as_text=True
    )
    assert "can&#39;t be used for a new account" in html

    # The reset code proves the email, but the account belongs to whoever proved its phone:
    # the email leaves that account and the victim is sent to sign up with it.
    response = _reset(victim, VICTIM_EMAIL, twilio, mailbox)
    assert response.status_code == 303 and location_path(response) == "/signup"
    assert f'value="{VICTIM_EMAIL}"' in victim.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert not _signed_in(victim)
    mallory = _user(name="Mallory")
    assert mallory.email is None and mallory.phone == ATTACKER_PHONE
    assert "was removed from your account" in received(ATTACKER_PHONE, twilio, mailbox)[-1]

    # The victim's own account, fully verified.
    assert sign_up(victim, name="Vera", email=VICTIM_EMAIL, phone=VICTIM_PHONE).status_code == 303
    _verify_phone(victim, VICTIM_PHONE, twilio, mailbox)
    _verify_email(victim, VICTIM_EMAIL, twilio, mailbox)
    vera = _user(name="Vera")
    assert vera.is_verified and vera.id != mallory.id

    # Later the attacker resets by SMS: that reaches only the attacker's own account.
    assert _reset(attacker, ATTACKER_PHONE, twilio, mailbox).status_code == 303
    page = attacker.get("/account").get_data(as_text=True)
    assert VICTIM_EMAIL not in page and "+62 812-9999-0001" in page
    assert "Your account has no email address" in attacker.get("/account/email").get_data(
        as_text=True
    )
    assert submit_login(app.test_client(), VICTIM_EMAIL, NEW_PASSWORD).status_code == 200  # refused
    assert _user(name="Vera").password_hash == vera.password_hash


def test_reset_on_an_account_nobody_proved_detaches_the_other_contact_links_and_sessions(
    app, twilio, mailbox
):
    attacker = _attacker_signs_up_with_the_victims_email(app, twilio, mailbox, prove_phone=False)
    assert _signed_in(attacker)
    mallory = _user(name="Mallory")
    db.session.add(LinkedAccount(user_id=mallory.id, provider="google", subject="mallory-g"))
    db.session.commit()

    victim = app.test_client()
    response = _reset(victim, VICTIM_EMAIL, twilio, mailbox)
    assert response.status_code == 303 and location_path(response) == "/"
    account = _user(email=VICTIM_EMAIL)
    assert account.email_verified_at is not None
    assert account.phone is None and account.phone_verified_at is None  # the unproven phone left

    assert not _signed_in(attacker)  # the attacker's session ended with the reset
    assert db.session.scalars(select(LinkedAccount)).all() == []  # no way back in through Google
    submit(app.test_client(), "/forgot-password", {"identifier": ATTACKER_PHONE})
    texts = received(ATTACKER_PHONE, twilio, mailbox)
    assert "reset code" not in texts[-1]  # no reset code reaches that phone any more
    assert "removed from an account where it was never confirmed" in texts[-1]
    assert "password was reset" in received(VICTIM_EMAIL, twilio, mailbox)[-1]


@pytest.mark.parametrize("channel", ["email", "phone"])
def test_a_reset_through_a_proven_channel_detaches_the_unproven_other(
    app, create_user, twilio, mailbox, channel
):
    user = create_user(name="Siti", email="siti@example.com", phone="+6281211112222")
    other = "phone" if channel == "email" else "email"
    setattr(user, f"{other}_verified_at", None)
    db.session.commit()
    identifier = "siti@example.com" if channel == "email" else "+6281211112222"
    other_address = "+6281211112222" if channel == "email" else "siti@example.com"

    response = _reset(app.test_client(), identifier, twilio, mailbox)
    assert response.status_code == 303 and location_path(response) == "/"
    siti = _user(name="Siti")
    assert getattr(siti, other) is None and getattr(siti, f"{channel}_verified_at") is not None
    # Both contacts hear of it: the kept one (reset notice), the removed one (removal notice).
    assert "password was reset" in received(identifier, twilio, mailbox)[-1]
    assert "was removed from a" in received(other_address, twilio, mailbox)[-1]


def test_a_typed_phone_of_someone_else_cannot_take_a_proven_account(app, twilio, mailbox):
    # The reverse attack (or a typo): the account's email is proven, its phone is not; whoever
    # holds that phone may reset by SMS, but only frees the number.
    owner = app.test_client()
    assert sign_up(owner, name="Vera", email=VICTIM_EMAIL, phone=ATTACKER_PHONE).status_code == 303
    _verify_email(owner, VICTIM_EMAIL, twilio, mailbox)

    response = _reset(app.test_client(), ATTACKER_PHONE, twilio, mailbox)
    assert response.status_code == 303 and location_path(response) == "/signup"
    vera = _user(name="Vera")
    assert vera.phone is None and vera.email_verified_at is not None
    assert _signed_in(owner)  # nothing happened to the owner's sessions or password
    assert submit_login(app.test_client(), VICTIM_EMAIL).status_code == 303
    notice = received(VICTIM_EMAIL, twilio, mailbox)[-1]
    assert "+62***001 was removed from your Konexi account" in notice


def test_two_proven_contacts_of_different_people_cannot_arise(app, create_user, twilio, mailbox):
    """Every way to prove the victim's email on the attacker's account is closed."""
    attacker = _attacker_signs_up_with_the_victims_email(app, twilio, mailbox, prove_phone=True)
    mallory = _user(name="Mallory")

    # 1. The link in the sign-up email, opened by the victim (not logged in to that account).
    victim = app.test_client()
    page = victim.get(latest_link_path(VICTIM_EMAIL, twilio, mailbox))
    assert page.status_code == 403
    assert _user(name="Mallory").email_verified_at is None
    # …nor while logged in to another account.
    other = app.test_client()
    log_in(other, create_user(name="Other", email="other@example.com"))
    submit(attacker, "/verify", {}, action="/verify/email/resend")
    assert other.get(latest_link_path(VICTIM_EMAIL, twilio, mailbox)).status_code == 403
    assert _user(name="Mallory").email_verified_at is None

    # 2. A reset by email: the email leaves the account instead.
    _reset(victim, VICTIM_EMAIL, twilio, mailbox)
    mallory = _user(name="Mallory")
    assert mallory.email is None and mallory.phone_verified_at is not None
    accounts = db.session.scalars(select(User)).all()
    for account in accounts:
        assert not (account.email == VICTIM_EMAIL and account.email_verified_at is not None)


def test_with_both_contacts_proven_a_reset_keeps_both_and_tells_both(
    app, create_user, twilio, mailbox
):
    create_user(name="Siti", email="siti@example.com", phone="+6281211112222")
    elsewhere = app.test_client()
    submit_login(elsewhere, "siti@example.com")

    assert _reset(app.test_client(), "+6281211112222", twilio, mailbox).status_code == 303
    siti = _user(name="Siti")
    assert siti.email == "siti@example.com" and siti.phone == "+6281211112222"
    assert siti.is_verified
    assert not _signed_in(elsewhere)
    assert "password was reset" in received("siti@example.com", twilio, mailbox)[-1]
    sms = received("+6281211112222", twilio, mailbox)[-1]
    assert "password was reset" in sms and len(sms) <= 160 and sms.isascii()


# -- unproven contacts stop reserving their address ------------------------------------------
def _age(user_name: str, hours: float) -> None:
    user = _user(name=user_name)
    user.created_at = utcnow() - timedelta(hours=hours)
    db.session.commit()


@pytest.mark.parametrize("kind", ["email", "phone"])
def test_an_unproven_address_is_reserved_for_a_day_then_released(app, twilio, mailbox, kind):
    _attacker_signs_up_with_the_victims_email(app, twilio, mailbox, prove_phone=False)
    fields = {"email": VICTIM_EMAIL, "phone": VICTIM_PHONE}
    if kind == "phone":  # the attacker's account holds the victim's phone, unproven
        mallory = _user(name="Mallory")
        mallory.phone, mallory.email = VICTIM_PHONE, ATTACKER_EMAIL
        db.session.commit()
    victim = app.test_client()

    _age("Mallory", 23)
    html = sign_up(victim, name="Vera", **fields).get_data(as_text=True)
    assert "can&#39;t be used for a new account" in html

    _age("Mallory", 25)
    assert sign_up(victim, name="Vera", **fields).status_code == 303
    vera, mallory = _user(name="Vera"), _user(name="Mallory")
    assert getattr(vera, kind) == fields[kind]
    assert getattr(mallory, kind) is None  # the stale contact left the old account
    remaining = ATTACKER_PHONE if kind == "email" else ATTACKER_EMAIL
    assert "was removed from your" in received(remaining, twilio, mailbox)[-1]


def test_a_proven_address_is_never_released(app, create_user):
    holder = create_user(email="siti@example.com")
    holder.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    html = sign_up(app.test_client(), email="siti@example.com").get_data(as_text=True)
    assert "can&#39;t be used for a new account" in html


def test_the_hold_period_is_a_setting(app_factory, twilio, mailbox):
    app = app_factory(UNVERIFIED_CONTACT_HOLD_HOURS="1")
    with app.app_context():
        assert sign_up(app.test_client(), name="Mallory", email=VICTIM_EMAIL).status_code == 303
        _age("Mallory", 2)
        assert (
            sign_up(
                app.test_client(), name="Vera", email=VICTIM_EMAIL, phone=VICTIM_PHONE
            ).status_code
            == 303
        )
        assert _user(name="Mallory").email is None
        db.session.remove()


def test_a_google_verified_email_frees_it_from_an_account_where_nobody_proved_it(
    app_factory, fake_oidc, twilio, mailbox
):

    app = app_factory(**fake_oidc.env())
    with app.app_context():
        # Someone signed up an hour ago with this person's email and proved only their phone.
        squatter = app.test_client()
        sign_up(squatter, name="Mallory", email="new.person@example.com", phone=ATTACKER_PHONE)
        _verify_phone(squatter, ATTACKER_PHONE, twilio, mailbox)

        client = app.test_client()
        # Google says: new.person@example.com, verified
        response = sign_in_at_provider(client, "google")
        assert response.headers["Location"] == "/auth/complete-signup"
        page = client.get("/auth/complete-signup").get_data(as_text=True)
        data = {
            "csrf_token": csrf_token_from(page),
            "name": "New Person",
            "email": "new.person@example.com",
            "phone": "081299990005",
        }
        assert client.post("/auth/complete-signup", data=data).status_code in (302, 303)
        owner = _user(name="New Person")
        assert owner.email == "new.person@example.com" and owner.email_verified_at is not None
        assert _user(name="Mallory").email is None
        db.session.remove()
