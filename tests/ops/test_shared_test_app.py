"""What one test leaves never reaches the next: the app the tests share (tests/support/app.py's
SharedApps) comes to each test as it was built, and the database comes empty."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from limits import parse
from sqlalchemy import func, select

from konexi.config import SETTINGS_BY_NAME
from konexi.extensions import db, limiter
from konexi.models import Branch, Category, Claim, Company, User, Voucher
from tests.servers.fake_twilio import FakeTwilio
from tests.servers.smtp_server import SmtpServer
from tests.support.app import SharedApps, base_environ, build_test_app, empty_postgres
from tests.support.factories import make_voucher

ONE_A_DAY = parse("1/day")


@pytest.fixture
def environ(database_url: str, smtp_server: SmtpServer, fake_twilio: FakeTwilio) -> dict[str, str]:
    """The test app's settings on this test's database."""
    return base_environ(database_url, smtp_server, fake_twilio)


def test_a_change_made_by_one_test_does_not_reach_the_next(environ: dict[str, str]) -> None:
    shared_apps = SharedApps()
    first = shared_apps.take(environ)
    built_reporters = first.config["REVIEW_HIDE_MIN_REPORTERS"]
    built_storage = limiter.storage

    # One test: changes a setting, leaves an extension entry, uses up a rate limit, and builds
    # an app of its own with other settings (which binds the one limiter to that app).
    first.config["REVIEW_HIDE_MIN_REPORTERS"] = built_reporters + 7
    first.config["SOMETHING_NEW"] = "left over"
    first.config["OUTBOX_RETRY_DELAYS"].append(99_999)
    first.extensions["konexi_view_marks"] = object()
    with first.app_context():
        assert limiter.limiter.hit(ONE_A_DAY, "isolation")
        assert not limiter.limiter.test(ONE_A_DAY, "isolation")
    other = build_test_app({**environ, "PAGE_CACHE_SECONDS": "5"})
    assert limiter.storage is not built_storage
    shared_apps.give_back(first)

    # The next test on the same settings gets the same app, as it was built.
    second = shared_apps.take(environ)
    assert second is first
    assert second.config["REVIEW_HIDE_MIN_REPORTERS"] == built_reporters
    assert "SOMETHING_NEW" not in second.config
    assert 99_999 not in second.config["OUTBOX_RETRY_DELAYS"]
    assert 99_999 not in SETTINGS_BY_NAME["OUTBOX_RETRY_DELAYS"].default  # nor in a new app's
    assert "konexi_view_marks" not in second.extensions
    with second.app_context():
        assert limiter.limiter.test(ONE_A_DAY, "isolation")  # the count is gone
    assert limiter.storage is built_storage  # bound to the shared app again
    shared_apps.give_back(second)
    shared_apps.give_back(other)


def test_a_test_with_other_settings_gets_an_app_of_its_own(environ: dict[str, str]) -> None:
    shared_apps = SharedApps()
    plain = shared_apps.take(environ)
    cached = shared_apps.take({**environ, "PAGE_CACHE_SECONDS": "5"})
    assert cached is not plain
    assert cached.config["PAGE_CACHE_SECONDS"] == 5 and plain.config["PAGE_CACHE_SECONDS"] == 0
    for app in (plain, cached):
        shared_apps.give_back(app)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_an_emptied_postgresql_database_has_no_rows_and_starts_its_ids_again(
    app: Flask, database_url: str, create_user: Callable[..., User]
) -> None:
    """What the next test finds after this one (conftest's database_url empties it)."""
    voucher = make_voucher()  # a company, its branches, a category: rows that refer to rows
    claim = Claim(user=create_user(), voucher=voucher, code="EMPTIED1")
    db.session.add(claim)
    db.session.commit()
    assert voucher.id >= 1 and claim.id == 1
    db.session.remove()

    empty_postgres(database_url)

    for model in (Claim, Voucher, Branch, Company, Category, User):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
    again = make_voucher()
    assert again.id == 1 and again.company.id == 1
