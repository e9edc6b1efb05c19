"""Aggregate counts per voucher and day (views, claims, redemptions); never a row per person.

Each count is one ``INSERT … ON CONFLICT DO UPDATE``, so concurrent requests add up without a
read-modify-write race. Days are calendar days in Asia/Jakarta, where providers read them.

A view counts once per visitor, voucher and day, so reloading a page cannot inflate the figure
a provider reads. A visitor is the signed-in user, else the client's network (IPv4 /24, IPv6
/48) with its browser's user agent; as the agent is the client's to choose, one network counts
at most ``ANONYMOUS_VIEWS_PER_NETWORK`` anonymous views a voucher a day. What is kept to
recognise a repeat is only a keyed hash of (voucher, visitor) (and of (voucher, network) for that
count) under a salt that changes every day, expiring at the end of that day:
in Redis when REDIS_URL is set (always in production, so every worker and dyno shares it), else
in this process's memory (development and tests run one process; no table and no migration for
a mark that lives a day). Redis down: the worker's memory takes over, as for the SMS counters.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from konexi.extensions import db
from konexi.i18n import DEFAULT_TIMEZONE
from konexi.models import VoucherDailyStats
from konexi.models.base import utcnow
from konexi.services.signing import Digest, keyed_digest
from konexi.tasks.queue import redis_connection

log = logging.getLogger(__name__)
VIEW_MARK_PREFIX = "konexi:view:"
# In-process marks beyond this many are not kept (views then count again): memory stays bounded.
LOCAL_MARKS_MAX = 100_000
_LOCAL_MARKS = "konexi_view_marks"
VIEW_NETWORK_PREFIX = "konexi:viewnet:"
# The user agent is the client's to choose, so rotating it would make every request a new
# visitor: anonymous views from one network count at most this many a voucher a day. Carrier NAT
# puts many honest phones behind one network, hence a share rather than one view.
ANONYMOUS_VIEWS_PER_NETWORK = 30

COUNTERS = ("views", "claims", "redemptions", "gifts")


def stats_day(moment: datetime | None = None) -> date:
    """The statistics day of ``moment`` (default now): its date in Asia/Jakarta."""
    return (moment or utcnow()).astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date()


def _bump_statement(dialect: str, voucher_id: int, counter: str, day: date | None) -> Insert:
    """Add one to ``counter`` of the voucher's row for ``day``, creating the row when missing."""
    if counter not in COUNTERS:
        raise ValueError(f"unknown counter {counter!r}")
    insert: Callable[[Table], postgresql.Insert | sqlite.Insert]
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:  # pragma: no cover - Konexi runs on PostgreSQL and SQLite only
        raise RuntimeError(f"no upsert for {dialect}")
    table = cast(Table, VoucherDailyStats.__table__)  # typed as any FromClause
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


def visitor_id(user_id: int | None, ip: str | None, user_agent: str | None) -> str:
    """Who counts as one visitor: the signed-in user, else network and user agent. The address
    is cut to its network so the hash made from it never stands for one exact address."""
    if user_id is not None:
        return f"user:{user_id}"
    try:
        address = ipaddress.ip_address(ip or "")
        prefix = 24 if address.version == 4 else 48
        network = str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    except ValueError:
        network = "unknown"
    return f"anon:{network}\x1f{(user_agent or '')[:200]}"


def _view_mark(voucher_id: int, visitor: str, day: date) -> str:
    daily_salt = keyed_digest(Digest.VIEW_SALT, day.isoformat())
    return keyed_digest(Digest.VIEW_MARK, str(voucher_id), visitor, key=daily_salt.encode())


def _seconds_left(day: date) -> int:
    """Until the end of ``day`` in Jakarta, plus an hour's margin for clocks that differ."""
    end = datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(DEFAULT_TIMEZONE))
    return max(60, int((end - utcnow()).total_seconds()) + 3600)


class _LocalMarks:
    """Today's marks in this process: a set per day, older days dropped as the day turns; and
    the anonymous views counted per network mark."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.marks: dict[date, set[str]] = {}
        self.network_views: dict[date, dict[str, int]] = {}

    def network_view(self, mark: str, day: date) -> int:
        with self.lock:
            for old in [d for d in self.network_views if d < day - timedelta(days=1)]:
                del self.network_views[old]
            counts = self.network_views.setdefault(day, {})
            counts[mark] = counts.get(mark, 0) + 1
            return counts[mark]

    def first(self, mark: str, day: date) -> bool:
        with self.lock:
            for old in [d for d in self.marks if d < day - timedelta(days=1)]:
                del self.marks[old]
            seen = self.marks.setdefault(day, set())
            if mark in seen:
                return False
            if sum(len(marks) for marks in self.marks.values()) < LOCAL_MARKS_MAX:
                seen.add(mark)
            return True


def _first_view(mark: str, day: date) -> bool:
    connection = redis_connection()
    if connection is not None:
        try:
            return bool(
                connection.set(VIEW_MARK_PREFIX + mark, b"1", nx=True, ex=_seconds_left(day))
            )
        except RedisError as error:
            log.warning("view marks unavailable, keeping them in-process: %s", error)
    local = current_app.extensions.setdefault(_LOCAL_MARKS, _LocalMarks())
    return bool(local.first(mark, day))


def _network_view_number(voucher_id: int, visitor: str, day: date) -> int:
    """How many anonymous views of the voucher this one is from the visitor's network today."""
    mark = _view_mark(voucher_id, visitor.split("\x1f", 1)[0], day)
    connection = redis_connection()
    if connection is not None:
        try:
            pipeline = connection.pipeline()
            pipeline.incr(VIEW_NETWORK_PREFIX + mark)
            pipeline.expire(VIEW_NETWORK_PREFIX + mark, _seconds_left(day))
            return int(pipeline.execute()[0])
        except RedisError as error:
            log.warning("view marks unavailable, keeping them in-process: %s", error)
    local = current_app.extensions.setdefault(_LOCAL_MARKS, _LocalMarks())
    return int(local.network_view(mark, day))


def record_view(voucher_id: int, visitor: str | None = None, day: date | None = None) -> bool:
    """Count a view of the voucher page, once per ``visitor`` (see ``visitor_id``) a day; True
    when it counted. Committed at once on its own connection: being apart from the session, it
    neither commits nor expires what the request has loaded."""
    day = day or stats_day()
    if visitor is not None and not _first_view(_view_mark(voucher_id, visitor, day), day):
        return False
    if (
        visitor is not None
        and visitor.startswith("anon:")
        and _network_view_number(voucher_id, visitor, day) > ANONYMOUS_VIEWS_PER_NETWORK
    ):
        return False
    with db.engine.begin() as connection:
        connection.execute(_bump_statement(db.engine.dialect.name, voucher_id, "views", day))
    return True


def record_claim(voucher_id: int, day: date | None = None) -> None:
    """Count one claim inside the caller's transaction (it commits with the claim)."""
    _bump_in_session(voucher_id, "claims", day)


def record_redemption(voucher_id: int, day: date | None = None) -> None:
    """Count one redemption inside the caller's transaction (it commits with the redemption)."""
    _bump_in_session(voucher_id, "redemptions", day)


def record_gift(voucher_id: int, day: date | None = None) -> None:
    """Count one accepted gift inside the caller's transaction (it commits with the transfer)."""
    _bump_in_session(voucher_id, "gifts", day)
