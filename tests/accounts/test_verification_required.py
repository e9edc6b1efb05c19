"""Unverified users can browse but not claim: the guard other features put on their views."""

from __future__ import annotations

import pytest
from flask import Flask

from konexi.auth import verified_required
from konexi.services.accounts.accounts import NotVerified, require_verified
from tests.support.accounts import htmx_headers, latest_code, latest_link_path, submit
from tests.support.auth import log_in

# The tests add a route: Flask refuses that on a shared app, which has served requests already.
pytestmark = pytest.mark.own_app


def _add_claim_route(app: Flask) -> None:
    @app.route("/_test/claim", methods=["GET", "POST"])
    @verified_required
    def test_claim():
        return "claimed"


def test_unverified_user_is_sent_to_verify_and_comes_back(app, create_user, twilio, mailbox):
    _add_claim_route(app)
    user = create_user(name="Ayu", email="ayu@example.com", verified=False)
    client = app.test_client()
    log_in(client, user)
    assert client.get("/").status_code == 200  # browsing is fine

    response = client.get("/_test/claim?voucher=7")
    assert response.status_code == 303 and response.headers["Location"] == "/verify"
    page = client.get("/verify").get_data(as_text=True)
    assert "Verify your phone and email to claim vouchers." in page

    submit(client, "/verify", {}, action="/verify/phone/resend")
    submit(client, "/verify", {}, action="/verify/email/resend")
    phone_code = latest_code(user.phone, twilio, mailbox)
    submit(client, "/verify", {"phone-code": phone_code}, action="/verify/phone")
    email_code = latest_code("ayu@example.com", twilio, mailbox)
    response = submit(client, "/verify", {"email-code": email_code}, action="/verify/email")
    assert response.headers["Location"] == "/_test/claim?voucher=7"
    assert client.get("/_test/claim").get_data(as_text=True) == "claimed"


def test_htmx_claim_by_an_unverified_user_redirects_the_whole_page(app, create_user):
    _add_claim_route(app)
    user = create_user(email="ayu@example.com", verified=False)
    client = app.test_client()
    log_in(client, user)
    response = client.post("/_test/claim", headers=htmx_headers(client, "/"))
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/verify"


def test_anonymous_claim_goes_to_log_in(app):
    _add_claim_route(app)
    response = app.test_client().get("/_test/claim")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_verify_page_needs_a_login(client):
    response = client.get("/verify")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_verified_user_passes(app, create_user):
    _add_claim_route(app)
    user = create_user(email="ayu@example.com")
    client = app.test_client()
    log_in(client, user)
    assert client.post("/_test/claim", data={"csrf_token": _token(client)}).data == b"claimed"


def _token(client) -> str:
    from tests.support.app import csrf_token_from

    return csrf_token_from(client.get("/").get_data(as_text=True))


def test_require_verified_for_services(create_user):
    require_verified(create_user())
    with pytest.raises(NotVerified):
        require_verified(create_user(verified=False))


def test_email_link_opened_while_logged_in_points_to_what_is_left(
    app, create_user, twilio, mailbox
):
    user = create_user(email="ayu@example.com", verified=False)
    client = app.test_client()
    log_in(client, user)
    submit(client, "/verify", {}, action="/verify/email/resend")
    html = client.get(latest_link_path("ayu@example.com", twilio, mailbox)).get_data(as_text=True)
    assert "Your email is verified" in html and "Verify your phone" in html
