"""Daily statistics rows for the provider dashboard's tests (no tests here)."""

from __future__ import annotations

from datetime import timedelta

from konexi.extensions import db
from konexi.models import VoucherDailyStats
from konexi.services.claims.voucher_stats import stats_day


def add_daily_stats(
    voucher_id: int, days: int = 30, views: int = 10, claims: int = 2, redemptions: int = 1
) -> None:
    """The same counts for ``voucher_id`` on each of the last ``days`` days (today included)."""
    today = stats_day()
    for back in range(days):
        db.session.add(
            VoucherDailyStats(
                voucher_id=voucher_id,
                day=today - timedelta(days=back),
                views=views,
                claims=claims,
                redemptions=redemptions,
            )
        )
    db.session.commit()
