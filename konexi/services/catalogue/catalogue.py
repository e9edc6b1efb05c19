"""Reading the voucher catalogue: what is live now, filtered by category and search words."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    SQLColumnExpression,
    String,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased, contains_eager

from konexi.extensions import db
from konexi.models import Category, Company, Voucher, VoucherStatus
from konexi.models.base import UTCDateTime, utcnow

PAGE_SIZE = 10
MAX_PAGE = 1000  # deeper than anyone scrolls; keeps OFFSET bounded
MAX_QUERY_LENGTH = 100
MAX_TERMS = 6
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


@dataclass(frozen=True)
class VoucherFilter:
    """A category slug (an unknown one is ignored) and search words (all must match)."""

    category: str | None = None
    terms: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.category is None and not self.terms


@dataclass
class FeedItem:
    """One voucher card: the voucher, its distance when a location is known, and days left."""

    voucher: Voucher
    distance_km: float | None = None
    days_left: int = 0


@dataclass
class VoucherPage:
    items: list[FeedItem]
    page: int
    has_more: bool
    nearby: bool = False
    filters: VoucherFilter = field(default_factory=VoucherFilter)


def clean_page(value: object) -> int:
    """A page number from user input: anything that is not 1..MAX_PAGE becomes the nearest one."""
    try:
        number = int(str(value)[:12])
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def voucher_filter(category: str | None = None, q: str | None = None) -> VoucherFilter:
    """Parse a category slug and a free-text query (trimmed to a sane length, lower-cased)."""
    slug = (category or "").strip().lower()
    words: list[str] = []
    # A NUL is never part of a word, and PostgreSQL refuses it in a LIKE pattern.
    for word in (q or "")[:MAX_QUERY_LENGTH].replace("\x00", " ").lower().split():
        if word not in words:
            words.append(word)
    return VoucherFilter(
        category=slug if _SLUG.fullmatch(slug) else None, terms=tuple(words[:MAX_TERMS])
    )


def live_conditions(
    now: datetime | ColumnElement[datetime], status_index: bool = True
) -> list[ColumnElement[bool]]:
    """Live: published, started, not expired, quota left, provider active (needs Company joined).

    ``status_index=False`` writes the status test so that no index can serve it: a query that
    starts elsewhere (the branches near a place) keeps SQLite from starting at every live voucher.
    """
    # The empty string is typed as plain text: the status enum would refuse it as a value.
    unindexed = Voucher.status.concat(literal("", String()))
    status = Voucher.status if status_index else unindexed
    return [
        status == VoucherStatus.LIVE,
        Voucher.starts_at <= now,
        Voucher.ends_at > now,
        Voucher.quota_claimed < Voucher.quota_total,
        Company.is_active.is_(True),
    ]


def _like(column: SQLColumnExpression[str], word: str) -> ColumnElement[bool]:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def filter_conditions(filters: VoucherFilter) -> list[ColumnElement[bool]]:
    """Category and search conditions (needs Company and Category joined).

    Every word must appear in the title, the provider's name, or the category's English or
    Indonesian name, in any letter case.
    """
    conditions: list[ColumnElement[bool]] = []
    if filters.category:
        known = aliased(Category)
        unknown = ~exists().where(known.slug == filters.category)
        conditions.append(or_(Category.slug == filters.category, unknown))
    for word in filters.terms:
        conditions.append(
            or_(
                _like(Voucher.title, word),
                _like(Company.name, word),
                _like(Category.name_en, word),
                _like(Category.name_id, word),
            )
        )
    return conditions


def with_company_and_category(statement: Select) -> Select:
    """Join a statement on Voucher to its company and category."""
    return statement.join(Company, Voucher.company_id == Company.id).join(
        Category, Voucher.category_id == Category.id
    )


def days_left(voucher: Voucher, now: datetime) -> int:
    """Whole days until the voucher ends, rounded up (1 on its last day)."""
    return max(math.ceil((voucher.ends_at - now).total_seconds() / 86400), 0)


def categories(keep_id: int | None = None) -> list[Category]:
    """Every active category (and ``keep_id``'s, a choice already made), in slug order."""
    offered = or_(Category.is_active.is_(True), Category.id == keep_id)
    return list(db.session.scalars(select(Category).where(offered).order_by(Category.slug)))


def load_vouchers(ids: Sequence[int]) -> dict[int, Voucher]:
    """Vouchers by id with their company and category, in one query."""
    if not ids:
        return {}
    statement = (
        with_company_and_category(select(Voucher))
        .options(contains_eager(Voucher.company), contains_eager(Voucher.category))
        .where(Voucher.id.in_(list(ids)))
    )
    return {voucher.id: voucher for voucher in db.session.scalars(statement).unique()}


# The feed's statements without filters, built once (building a statement and computing its
# cache key cost more than running it): by the name of their extra conditions.
_LIVE_STATEMENTS: dict[str, Select] = {}


def _live_statement(
    filters: VoucherFilter, extra: Sequence[ColumnElement[bool]], cache_as: str | None
) -> Select:
    """Live vouchers by these filters and extra conditions, soonest ending first; bound
    parameters ``now``, ``offset`` and ``limit``."""
    kept = filters.is_empty and (cache_as is not None or not extra)
    key = cache_as or "plain"
    if kept and key in _LIVE_STATEMENTS:
        return _LIVE_STATEMENTS[key]
    now = bindparam("now", type_=UTCDateTime())
    statement = (
        with_company_and_category(select(Voucher))
        .options(contains_eager(Voucher.company), contains_eager(Voucher.category))
        .where(and_(*live_conditions(now), *filter_conditions(filters), *extra))
        .order_by(Voucher.ends_at, Voucher.id)
        .offset(bindparam("offset", type_=Integer()))
        .limit(bindparam("limit", type_=Integer()))
    )
    if kept:
        _LIVE_STATEMENTS[key] = statement
    return statement


def live_vouchers(
    page: int = 1,
    per_page: int = PAGE_SIZE,
    filters: VoucherFilter | None = None,
    extra: Sequence[ColumnElement[bool]] = (),
    values: Mapping[str, Any] | None = None,
    cache_as: str | None = None,
) -> VoucherPage:
    """Live vouchers (started, not expired, quota left, provider active), soonest ending first
    (``values``: those of the bound parameters in ``extra``; ``cache_as``: a name for ``extra``
    when it is always the same conditions, so that the statement is built once)."""
    filters = filters or VoucherFilter()
    page = clean_page(page)
    now = utcnow()
    statement = _live_statement(filters, extra, cache_as)
    parameters = {
        **(values or {}),
        "now": now,
        "offset": (page - 1) * per_page,
        "limit": per_page + 1,
    }
    rows = list(db.session.scalars(statement, parameters).unique())
    items = [FeedItem(voucher, None, days_left(voucher, now)) for voucher in rows[:per_page]]
    return VoucherPage(items=items, page=page, has_more=len(rows) > per_page, filters=filters)
