"""Close, reopen and delete an account: password required, logged out at once."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from konexi.extensions import db
from konexi.models import User
from konexi.models.base import utcnow
from tests.support.app import TEST_PASSWORD, csrf_token_from, post_page_form
from tests.support.auth import log_in
from tests.support.factories import fresh


def test_closing_needs_the_right_password(app: Flask, client: FlaskClient, create_user) -> None:
    user = create_user()
    log_in(client, user)

    response = post_page_form(client, "/account/close", password="not my password")

    assert response.status_code == 200
    assert "Your password is wrong." in response.text
    assert 'aria-invalid="true"' in response.text
    assert fresh(User, user.id).status == "active"


def test_wrong_password_error_is_translated(app: Flask, client: FlaskClient, create_user) -> None:
    user = create_user()
    log_in(client, user)
    page = client.get("/account/close?lang=id")

    response = client.post(
        "/account/close", data={"csrf_token": csrf_token_from(page.text), "password": "x"}
    )

    assert response.status_code == 200
    assert 'lang="id"' in response.text
    assert 'class="field-error" id="password-error"' in response.text


def test_a_closed_account_is_logged_out_and_cannot_log_in(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = create_user(email="dewi@example.com")
    log_in(client, user)

    response = post_page_form(client, "/account/close", password=TEST_PASSWORD)

    assert response.status_code == 303
    assert client.get(response.headers["Location"]).status_code == 200
    closed = fresh(User, user.id)
    assert closed.status == "closed" and closed.closed_at is not None
    assert client.get("/account/export").status_code in (302, 401)
    login = post_page_form(client, "/login", identifier="dewi@example.com", password=TEST_PASSWORD)
    # Not signed in: the right password only offers to reopen the account (tests/accounts).
    assert login.headers["Location"].endswith("/login/welcome-back")
    assert client.get("/account/export").status_code in (302, 401)


def test_an_old_session_ends_when_the_account_closes(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = create_user()
    old_session_id = user.get_id()
    log_in(client, user)
    post_page_form(client, "/account/close", password=TEST_PASSWORD)

    with client.session_transaction() as session:
        session["_user_id"] = old_session_id
    assert client.get("/account/export").status_code in (302, 401)


def test_reopen_within_the_grace_period(app: Flask, client: FlaskClient, create_user) -> None:
    user = create_user(email="dewi@example.com")
    log_in(client, user)
    post_page_form(client, "/account/close", password=TEST_PASSWORD)

    response = post_page_form(
        client, "/account/reopen", identifier="dewi@example.com", password=TEST_PASSWORD
    )

    assert response.status_code == 303
    assert fresh(User, user.id).status == "active"
    assert client.get("/account/export").status_code == 200


def test_reopen_refuses_a_wrong_password_and_keeps_the_input(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = create_user(email="dewi@example.com")
    log_in(client, user)
    post_page_form(client, "/account/close", password=TEST_PASSWORD)

    response = post_page_form(
        client, "/account/reopen", identifier="dewi@example.com", password="nope"
    )

    assert response.status_code == 200
    assert "No closed account that can be reopened" in response.text
    assert 'value="dewi@example.com"' in response.text
    assert fresh(User, user.id).status == "closed"


def test_reopen_is_refused_after_the_grace_period(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = create_user(phone="+6281211112222")
    user.status = "closed"
    user.closed_at = utcnow() - timedelta(days=31)
    db.session.commit()

    response = post_page_form(
        client, "/account/reopen", identifier="0812-1111-2222", password=TEST_PASSWORD
    )

    assert response.status_code == 200
    assert fresh(User, user.id).status == "closed"


def test_an_account_being_deleted_cannot_be_reopened(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = create_user(email="dewi@example.com")
    log_in(client, user)
    post_page_form(client, "/account/delete", password=TEST_PASSWORD)

    response = post_page_form(
        client, "/account/reopen", identifier="dewi@example.com", password=TEST_PASSWORD
    )

    assert response.status_code == 200
    assert fresh(User, user.id).status == "deleting"


def test_delete_marks_the_account_for_the_purge_and_logs_out(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = create_user()
    log_in(client, user)
    confirm = client.get("/account/delete")
    assert confirm.status_code == 200

    response = client.post(
        "/account/delete",
        data={"csrf_token": csrf_token_from(confirm.text), "password": TEST_PASSWORD},
    )

    assert response.status_code == 303
    assert client.get(response.headers["Location"]).status_code == 200
    deleting = fresh(User, user.id)
    assert deleting.status == "deleting"
    grace = deleting.purge_after - utcnow()
    assert timedelta(days=29, hours=23) < grace <= timedelta(days=30)
    assert client.get("/account/export").status_code in (302, 401)


def test_delete_needs_the_right_password(app: Flask, client: FlaskClient, create_user) -> None:
    user = create_user()
    log_in(client, user)

    response = post_page_form(client, "/account/delete", password="wrong password")

    assert response.status_code == 200
    assert "Your password is wrong." in response.text
    assert fresh(User, user.id).status == "active"


def test_close_and_delete_need_the_csrf_token(app: Flask, client: FlaskClient, create_user) -> None:
    user = create_user()
    log_in(client, user)

    assert client.post("/account/close", data={"password": TEST_PASSWORD}).status_code == 400
    assert client.post("/account/delete", data={"password": TEST_PASSWORD}).status_code == 400
    assert fresh(User, user.id).status == "active"


def test_a_closed_account_cannot_claim(app: Flask, create_user) -> None:
    from konexi.services.accounts.account_lifecycle import close_account
    from konexi.services.claims.claims import ClaimOutcome, claim_voucher
    from tests.support.factories import make_voucher

    user = create_user()
    voucher = make_voucher()
    close_account(user, TEST_PASSWORD)

    assert claim_voucher(user.id, voucher.id).outcome is ClaimOutcome.UNVERIFIED


def test_a_purged_accounts_id_is_never_given_to_a_new_person(app, create_user):
    from sqlalchemy import delete

    from konexi.extensions import db
    from konexi.models import User

    first = create_user()
    first_id = first.id
    db.session.execute(delete(User).where(User.id == first_id))
    db.session.commit()
    assert create_user().id > first_id
