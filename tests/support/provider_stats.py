"""Thirty days of statistics for a company, and its owner signed in (no tests here)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from konexi.extensions import db
from konexi.models import Company, User, Voucher, VoucherDailyStats
from konexi.services.claims.voucher_stats import stats_day
from tests.support.auth import log_in
from tests.support.factories import make_company, make_member, make_voucher


def seed_30_days(
    company: Company | None = None, title: str = "Es kopi susu 2 for 1"
) -> tuple[Company, Voucher, Voucher]:
    """Voucher A: every day 10 views, 2 claims, 1 redemption; B: today 5/1/0; noise outside."""
    company = company or make_company()
    first = make_voucher(company=company, title=title)
    second = make_voucher(company=company, title="Roti bakar gratis")
    today = stats_day()
    for back in range(31):  # the 31st day back is outside the window
        views = 1000 if back == 30 else 10
        db.session.add(
            VoucherDailyStats(
                voucher_id=first.id,
                day=today - timedelta(days=back),
                views=views,
                claims=2,
                redemptions=1,
            )
        )
    db.session.add(VoucherDailyStats(voucher_id=second.id, day=today, views=5, claims=1))
    db.session.commit()
    return company, first, second


def owner_client(client: FlaskClient, create_user: Callable[..., User], company_id: int) -> User:
    """Sign ``client`` in as a new owner of the company."""
    owner = create_user(name="Pemilik Toko")
    make_member(company_id, owner, "owner")
    log_in(client, owner)
    return owner
