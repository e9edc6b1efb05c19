"""Logging in to a closed account offers to reopen it, and to an account being deleted offers to
cancel the deletion, with the date after which nothing can be recovered; a wrong password gets
the one failure answer whatever the account's status, and after the purge date nothing opens."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from konexi.extensions import db
from konexi.i18n import local_time
from konexi.models import User
from konexi.models.base import utcnow
from konexi.services.privacy.purge import purge_due_accounts
from tests.support.accounts import submit, submit_login
from tests.support.app import TEST_PASSWORD, csrf_token_from
from tests.support.auth import log_in
from tests.support.factories import fresh

EMAIL = "dewi@example.com"
WRONG = "Email/phone or password is wrong."


def _closed(create_user, days_ago: int = 1) -> User:
    user = create_user(email=EMAIL)
    user.status = "closed"
    user.closed_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return user


def _deleting(create_user, purge_in: timedelta = timedelta(days=20)) -> User:
    user = create_user(email=EMAIL)
    user.status = "deleting"
    user.closed_at = utcnow()
    user.purge_after = utcnow() + purge_in
    db.session.commit()
    return user


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/account/export").status_code == 200


def _confirm(client: FlaskClient, lang: str = "en"):
    page = client.get(f"/login/welcome-back?lang={lang}")
    assert page.status_code == 200
    return client.post("/login/welcome-back", data={"csrf_token": csrf_token_from(page.text)})


def _shown_date(app: Flask, user_id: int, lang: str) -> str:
    with app.test_request_context(f"/?lang={lang}"):
        return local_time(fresh(User, user_id).purge_after, "d MMM yyyy, HH:mm")


def test_the_right_password_on_a_closed_account_offers_to_reopen_it(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = _closed(create_user)

    login = submit_login(client, EMAIL)

    assert login.status_code == 303
    assert login.headers["Location"].endswith("/login/welcome-back")
    offer = client.get("/login/welcome-back")
    assert "Your account is closed" in offer.text
    assert "Reopen my account and sign in" in offer.text
    assert WRONG not in offer.text
    # Nothing changes until the person asks for it.
    assert fresh(User, user.id).status == "closed"
    assert not _signed_in(client)


def test_reopening_from_the_offer_signs_in_with_a_new_session(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = _closed(create_user)
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    submit_login(client, EMAIL)

    reopened = _confirm(client)

    assert reopened.status_code == 303
    welcome = client.get(reopened.headers["Location"])
    assert "Welcome back! Your account is open again." in welcome.text
    assert fresh(User, user.id).status == "active"
    assert fresh(User, user.id).closed_at is None
    assert _signed_in(client)
    with client.session_transaction() as session:
        assert "planted" not in session and "comeback" not in session


def test_a_wrong_password_on_a_closed_account_is_the_one_failure_answer(
    app: Flask, create_user
) -> None:
    _closed(create_user)
    closed = submit_login(app.test_client(), EMAIL, "not the password")
    unknown = submit_login(app.test_client(), "nobody@example.com", "not the password")

    def comparable(html: str, typed: str) -> str:
        html = html.replace(typed, "<typed>")
        return re.sub(r'value="[^"]{20,}"', 'value=""', html)

    assert closed.status_code == unknown.status_code == 200
    assert WRONG in closed.text
    assert comparable(closed.text, EMAIL) == comparable(unknown.text, "nobody@example.com")


def test_a_closed_account_past_the_grace_period_gets_the_failure_answer(
    app: Flask, client: FlaskClient, create_user
) -> None:
    _closed(create_user, days_ago=31)

    login = submit_login(client, EMAIL)

    assert login.status_code == 200
    assert WRONG in login.text
    assert client.get("/login/welcome-back").status_code == 302


def test_the_right_password_during_the_grace_period_offers_to_cancel_the_deletion(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = _deleting(create_user)

    assert submit_login(client, EMAIL).status_code == 303
    offer = client.get("/login/welcome-back")

    assert "Cancel deletion and sign in" in offer.text
    assert f"After {_shown_date(app, user.id, 'en')} nothing can be recovered." in offer.text
    assert fresh(User, user.id).status == "deleting"

    cancelled = _confirm(client)

    assert cancelled.status_code == 303
    kept = fresh(User, user.id)
    assert kept.status == "active" and kept.purge_after is None and kept.closed_at is None
    assert _signed_in(client)
    assert purge_due_accounts(now=utcnow() + timedelta(days=31)).purged_count == 0


def test_the_deletion_offer_is_in_indonesian_with_the_date_in_indonesian(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = _deleting(create_user, purge_in=timedelta(days=25))
    client.get("/login?lang=id")
    submit_login(client, EMAIL)

    offer = client.get("/login/welcome-back")

    shown = _shown_date(app, user.id, "id")
    assert f"Setelah {shown}" in offer.text
    assert "Batalkan penghapusan dan masuk" in offer.text


def test_after_the_purge_date_nothing_can_log_in(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user_id = _deleting(create_user, purge_in=-timedelta(seconds=1)).id

    login = submit_login(client, EMAIL)  # the purge job has not run yet

    assert login.status_code == 200 and WRONG in login.text
    assert purge_due_accounts().purged_count == 1
    assert db.session.get(User, user_id) is None
    again = submit_login(client, EMAIL)
    assert again.status_code == 200 and WRONG in again.text


def test_an_offer_that_the_purge_date_overtook_is_refused(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = _deleting(create_user)
    submit_login(client, EMAIL)
    page = client.get("/login/welcome-back")
    user.purge_after = utcnow() - timedelta(seconds=1)
    db.session.commit()

    answer = client.post("/login/welcome-back", data={"csrf_token": csrf_token_from(page.text)})

    assert answer.status_code == 200 and WRONG in answer.text
    assert fresh(User, user.id).status == "deleting"
    assert not _signed_in(client)


def test_the_offer_needs_the_csrf_token_and_a_password_just_given(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = _closed(create_user)
    # No password given in this session: nothing to confirm.
    assert client.get("/login/welcome-back").status_code == 302
    nothing = submit(client, "/login", {}, action="/login/welcome-back")
    assert nothing.status_code == 303 and nothing.headers["Location"].endswith("/login")

    submit_login(client, EMAIL)
    assert client.post("/login/welcome-back", data={}).status_code == 400
    assert fresh(User, user.id).status == "closed"

    # An offer not taken within ten minutes lapses: the password is asked for again.
    with client.session_transaction() as session:
        session["comeback"] = {**session["comeback"], "at": session["comeback"]["at"] - 601}
    assert client.get("/login/welcome-back").status_code == 302
    assert fresh(User, user.id).status == "closed"


def test_the_delete_pages_state_the_date_after_which_nothing_can_be_recovered(
    app: Flask, client: FlaskClient, create_user
) -> None:
    user = create_user()
    log_in(client, user)
    page = client.get("/account/delete?lang=id")
    assert "Setelah tanggal itu tidak ada yang dapat dipulihkan." in page.text

    done = client.post(
        "/account/delete",
        data={"csrf_token": csrf_token_from(page.text), "password": TEST_PASSWORD},
    )
    confirmation = client.get(done.headers["Location"])

    assert f"sebelum {_shown_date(app, user.id, 'id')}" in confirmation.text
    english = client.get("/account/deleted?lang=en")
    assert f"Log in before {_shown_date(app, user.id, 'en')}" in english.text
