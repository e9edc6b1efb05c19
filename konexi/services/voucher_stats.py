"""Aggregate counts per voucher and day (views, claims, redemptions); never a row per person.

Each count is one ``INSERT … ON CONFLICT DO UPDATE``, so concurrent requests add up without a
read-modify-write race. Days are calendar days in Asia/Jakarta, where providers read them.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from konexi.extensions import db
from konexi.i18n import DEFAULT_TIMEZONE
from konexi.models import VoucherDailyStats
from konexi.models.base import utcnow

COUNTERS = ("views", "claims", "redemptions")


def stats_day(moment: datetime | None = None) -> date:
    """The statistics day of ``moment`` (default now): its date in Asia/Jakarta."""
    return (moment or utcnow()).astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date()


def _bump_statement(dialect: str, voucher_id: int, counter: str, day: date | None) -> Insert:
    """Add one to ``counter`` of the voucher's row for ``day``, creating the row when missing."""
    if counter not in COUNTERS:
        raise ValueError(f"unknown counter {counter!r}")
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:  # pragma: no cover - Konexi runs on PostgreSQL and SQLite only
        raise RuntimeError(f"no upsert for {dialect}")
    table = VoucherDailyStats.__table__
    values = {name: 0 for name in COUNTERS}
    values[counter] = 1
    statement = insert(table).values(voucher_id=voucher_id, day=day or stats_day(), **values)
    return statement.on_conflict_do_update(
        index_elements=[table.c.voucher_id, table.c.day],
        set_={counter: table.c[counter] + 1},
    )


def _bump_in_session(voucher_id: int, counter: str, day: date | None) -> None:
    dialect = db.session.get_bind().dialect.name
    db.session.execute(_bump_statement(dialect, voucher_id, counter, day))


def record_view(voucher_id: int, day: date | None = None) -> None:
    """Count one view of the voucher page, committed at once on its own connection.

    Being apart from the session, it neither commits nor expires what the request has loaded.
    """
    with db.engine.begin() as connection:
        connection.execute(_bump_statement(db.engine.dialect.name, voucher_id, "views", day))


def record_claim(voucher_id: int, day: date | None = None) -> None:
    """Count one claim inside the caller's transaction (it commits with the claim)."""
    _bump_in_session(voucher_id, "claims", day)


def record_redemption(voucher_id: int, day: date | None = None) -> None:
    """Count one redemption inside the caller's transaction (it commits with the redemption)."""
    _bump_in_session(voucher_id, "redemptions", day)
