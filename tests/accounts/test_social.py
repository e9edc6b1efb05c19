"""Social sign-in and linked accounts, through the real Authlib client and a fake provider."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import LinkedAccount, User
from tests.support.app import csrf_token_from
from tests.support.auth import log_in
from tests.support.social import sign_in_at_provider


@pytest.fixture
def social_app(app_factory, fake_oidc, twilio, mailbox):
    application = app_factory(**fake_oidc.env())
    with application.app_context():
        yield application
        db.session.remove()


@pytest.fixture
def social_client(social_app) -> FlaskClient:
    return social_app.test_client()


def _complete_google_signup(client: FlaskClient, phone: str):
    """Sign in with Google as a new person, then post the completion form with ``phone``."""
    sign_in_at_provider(client, "google")
    page = client.get("/auth/complete-signup").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(page),
        "name": "New Person",
        "email": "new.person@example.com",
        "phone": phone,
    }
    return client.post("/auth/complete-signup", data=data)


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def _links(user_id: int) -> list[tuple[str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(LinkedAccount).where(LinkedAccount.user_id == user_id))
    return sorted((row.provider, row.subject) for row in rows)


def test_google_sends_nonce_and_state(social_client, fake_oidc):
    start = social_client.get("/auth/google/login")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert start.headers["Location"].startswith(fake_oidc.url + "/authorize")
    assert query["state"][0] and query["nonce"][0]
    assert "openid" in query["scope"][0].split()


def test_new_google_user_completes_signup_with_phone(social_client, fake_oidc, twilio):
    response = sign_in_at_provider(social_client, "google")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/complete-signup"
    assert db.session.scalar(select(User).where(User.email_key == "new.person@example.com")) is None
    assert not _logged_in(social_client)

    page = social_client.get("/auth/complete-signup").get_data(as_text=True)
    assert "new.person@example.com" in page and "New Person" in page
    data = {
        "csrf_token": csrf_token_from(page),
        "name": "New Person",
        "email": "new.person@example.com",
        "phone": "081299990001",
    }
    response = social_client.post("/auth/complete-signup", data=data)
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == "/verify"
    user = db.session.scalar(select(User).where(User.email_key == "new.person@example.com"))
    assert user is not None
    assert user.phone == "+6281299990001"
    assert user.password_hash is None
    assert user.email_verified_at is not None  # Google vouched for it
    assert user.phone_verified_at is None  # a code goes to the phone
    assert _links(user.id) == [("google", "google-sub-1")]
    assert _logged_in(social_client)


def test_complete_signup_refuses_a_used_phone(social_client, fake_oidc, create_user):
    create_user(phone="+6281299990002")
    response = _complete_google_signup(social_client, "081299990002")
    assert response.status_code == 200
    assert db.session.scalar(select(User).where(User.email_key == "new.person@example.com")) is None


def test_returning_linked_user_logs_in(social_client, fake_oidc, create_user):
    user = create_user(email="siti@example.com")
    db.session.add(LinkedAccount(user_id=user.id, provider="google", subject="g-siti"))
    db.session.commit()
    fake_oidc.next_identity = {"sub": "g-siti", "email": "siti@example.com", "name": "Siti"}
    response = sign_in_at_provider(social_client, "google")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _logged_in(social_client)


def test_returning_facebook_user_logs_in(social_client, fake_oidc, create_user):
    user = create_user()
    db.session.add(LinkedAccount(user_id=user.id, provider="facebook", subject="fb-1"))
    db.session.commit()
    fake_oidc.next_identity = {"sub": "fb-1", "email": "x@example.com", "name": "X"}
    response = sign_in_at_provider(social_client, "facebook")
    assert response.headers["Location"] == "/"
    assert _logged_in(social_client)


def test_existing_email_is_not_linked_automatically(social_client, fake_oidc, create_user):
    user = create_user(email="New.Person@example.com")
    response = sign_in_at_provider(social_client, "google")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert _links(user.id) == []
    assert not _logged_in(social_client)
    assert db.session.scalar(select(LinkedAccount)) is None


def test_link_and_unlink_from_settings(social_client, fake_oidc, create_user):
    user = create_user(email="siti@example.com")
    log_in(social_client, user)
    page = social_client.get("/account/linked").get_data(as_text=True)
    assert 'id="link-google"' in page and 'id="link-facebook"' in page

    fake_oidc.next_identity = {"sub": "fb-siti", "email": "siti@example.com", "name": "Siti"}
    response = sign_in_at_provider(social_client, "facebook")
    assert response.headers["Location"] == "/account/linked"
    assert _links(user.id) == [("facebook", "fb-siti")]
    page = social_client.get("/account/linked").get_data(as_text=True)
    assert 'id="linked-facebook"' in page and 'id="link-facebook"' not in page

    token = csrf_token_from(page)
    response = social_client.post("/account/linked/facebook/unlink", data={"csrf_token": token})
    assert response.status_code in (302, 303)
    assert _links(user.id) == []


def test_identity_linked_to_someone_else_is_refused(social_client, fake_oidc, create_user):
    other = create_user()
    db.session.add(LinkedAccount(user_id=other.id, provider="google", subject="google-sub-1"))
    db.session.commit()
    user = create_user()
    log_in(social_client, user)
    sign_in_at_provider(social_client, "google")
    assert _links(user.id) == []
    assert _links(other.id) == [("google", "google-sub-1")]


def test_unlinking_the_last_way_to_log_in_needs_a_password(social_client, fake_oidc, create_user):
    user = create_user()
    user.password_hash = None
    db.session.add(LinkedAccount(user_id=user.id, provider="google", subject="g-only"))
    db.session.commit()
    fake_oidc.next_identity = {"sub": "g-only", "email": "only@example.com", "name": "Only"}
    sign_in_at_provider(social_client, "google")
    assert _logged_in(social_client)
    token = csrf_token_from(social_client.get("/account/linked").get_data(as_text=True))
    social_client.post("/account/linked/google/unlink", data={"csrf_token": token})
    assert _links(user.id) == [("google", "g-only")]

    # with a second linked provider, one of them may go
    fake_oidc.next_identity = {"sub": "fb-only", "email": "only@example.com", "name": "Only"}
    sign_in_at_provider(social_client, "facebook")
    assert _links(user.id) == [("facebook", "fb-only"), ("google", "g-only")]
    social_client.post("/account/linked/google/unlink", data={"csrf_token": token})
    assert _links(user.id) == [("facebook", "fb-only")]


def test_buttons_hidden_and_routes_404_without_client_ids(app_factory, fake_oidc):
    plain = app_factory().test_client()
    assert 'id="social-google"' not in plain.get("/login").get_data(as_text=True)
    assert 'id="social-facebook"' not in plain.get("/signup").get_data(as_text=True)
    assert plain.get("/auth/google/login").status_code == 404
    assert plain.get("/auth/facebook/callback?code=x&state=y").status_code == 404

    configured = app_factory(**fake_oidc.env()).test_client()
    login_page = configured.get("/login").get_data(as_text=True)
    assert 'id="social-google"' in login_page and 'id="social-facebook"' in login_page
    assert 'id="social-google"' in configured.get("/signup").get_data(as_text=True)
    assert configured.get("/auth/twitter/login").status_code == 404


def test_forged_state_is_refused(social_client, fake_oidc):
    start = social_client.get("/auth/google/login")
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(at_provider.headers["Location"]).query)["code"][0]
    response = social_client.get(f"/auth/google/callback?code={code}&state=forged")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert fake_oidc.token_requests == []  # the code was never exchanged
    assert not _logged_in(social_client)
    assert db.session.scalar(select(LinkedAccount)) is None


def test_callback_without_a_started_login_is_refused(social_client, fake_oidc):
    response = social_client.get("/auth/google/callback?code=abc&state=abc")
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert not _logged_in(social_client)


@pytest.mark.parametrize("forge", ["nonce", "key"])
def test_an_id_token_that_does_not_check_out_is_refused(social_client, fake_oidc, forge):
    fake_oidc.forge = forge
    response = sign_in_at_provider(social_client, "google")
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert not _logged_in(social_client)
    with social_client.session_transaction() as session:
        assert "social_pending" not in session


def test_a_social_sign_up_whose_code_was_not_sent_is_told_so(app_factory, fake_oidc, twilio):
    """Past a per-IP figure (here 0) no code leaves, and the welcome does not say "we sent"."""
    client = app_factory(CODES_PER_IP_PER_HOUR="0", **fake_oidc.env()).test_client()
    assert _complete_google_signup(client, "081299990003").headers["Location"] == "/verify"
    verify = client.get("/verify").get_data(as_text=True)
    assert "We could not send a code to your phone yet." in verify
    assert "We sent a code" not in verify and "No code is waiting for" in verify
    assert twilio.to("+6281299990003") == []
