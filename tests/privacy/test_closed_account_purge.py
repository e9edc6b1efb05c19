"""A closed account that is not reopened within the grace period is purged like a deleted one,
and the "account closed" page and the privacy notice say when, in both languages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from konexi.extensions import db
from konexi.i18n import local_time
from konexi.models import User
from konexi.models.base import utcnow
from konexi.services.accounts.account_lifecycle import check_login
from konexi.services.privacy.purge import purge_due_accounts
from tests.support.app import TEST_PASSWORD, post_page_form
from tests.support.auth import log_in
from tests.support.factories import fresh
from tests.support.purge import BIRTH, EMAIL, NAME, PHONE, dump_database, make_rich_user


def _close(user_id: int, days_ago: float) -> None:
    user = db.session.get(User, user_id)
    assert user is not None
    user.status = "closed"
    user.closed_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()


def test_a_closed_account_past_the_grace_period_is_purged(app: Flask) -> None:
    grace = int(app.config["PURGE_GRACE_DAYS"])
    rich = make_rich_user()
    _close(rich.user_id, grace + 0.01)
    assert EMAIL in dump_database()

    assert purge_due_accounts().purged_count == 1

    assert db.session.get(User, rich.user_id) is None
    after = dump_database()
    for secret in (NAME, EMAIL, PHONE, BIRTH.isoformat()):
        assert secret not in after


def test_a_closed_account_within_the_grace_period_is_kept_and_can_come_back(
    app: Flask, create_user: Callable[..., User]
) -> None:
    grace = int(app.config["PURGE_GRACE_DAYS"])
    user = create_user(email="dewi@example.com")
    _close(user.id, grace - 0.01)

    assert purge_due_accounts().purged_count == 0
    check = check_login("dewi@example.com", TEST_PASSWORD)
    assert check is not None and check.comeback == "reopen"


@pytest.mark.parametrize(
    "lang, before",
    [
        ("en", "Log in before {date} to reopen it. After that date the account"),
        ("id", "Masuk sebelum {date} untuk membukanya kembali. Setelah tanggal itu akun"),
    ],
)
def test_the_closed_page_states_the_date_after_which_the_account_is_erased(
    app: Flask, client: FlaskClient, create_user: Callable[..., User], lang: str, before: str
) -> None:
    user = create_user()
    log_in(client, user)

    done = post_page_form(client, "/account/close", password=TEST_PASSWORD)
    page = client.get(f"{done.headers['Location']}?lang={lang}")

    closed_at = fresh(User, user.id).closed_at
    erased_after = closed_at + timedelta(days=int(app.config["PURGE_GRACE_DAYS"]))
    with app.test_request_context(f"/?lang={lang}"):
        shown = local_time(erased_after)
    assert before.format(date=shown) in page.text


@pytest.mark.parametrize(
    "lang, sentence",
    [
        ("en", "A closed account you do not reopen within 14 days is erased the same way."),
        ("id", "tidak Anda buka kembali dalam 14 hari dihapus dengan cara yang sama."),
    ],
)
def test_the_notice_says_closed_accounts_are_erased_after_the_grace_period(
    app_factory: Callable[..., Flask], lang: str, sentence: str
) -> None:
    page = app_factory(PURGE_GRACE_DAYS="14").test_client().get(f"/privacy?lang={lang}")
    assert sentence in page.text
