""" "For you": live vouchers suggested from what a user told us they like and what they claimed.

Rule: suggest live vouchers in the user's favourite categories, or in the category or from the
provider of a claim they have not hidden, leaving out vouchers they already claimed up to the
per-user limit; nearest first when a location is known, otherwise soonest ending first; nothing
at all (not even a query) when the user has turned personalisation off.

Without a location the suggestions are one statement that starts from the user's signals, not
from the live vouchers: for each signalled category and each provider of a visible claim it
takes the first few matching live vouchers in ending order straight from an index on
(category or provider, status, ends_at, id), then keeps the soonest ending of them all. Its cost
grows with the number of signals (a few index seeks each), not with the size of the catalogue,
and it stays the same when the signals match almost nothing: scanning every live voucher in
ending order for the rare match is what made the feed slow. The first ``limit`` of each signal
are enough: the overall first ``limit`` are each among the first ``limit`` of some signal. And
a provider's voucher that ends after the ``limit``-th of the categories' cannot make it, so the
providers are searched only up to that end time (see ``_suggestions_statement``).
PostgreSQL runs each signal's search as a LATERAL subquery; SQLite, which has no LATERAL, as a
correlated ``id IN (… LIMIT n)`` subquery, which it runs once per signal in the same way.

With a location the suggestions are the nearby feed's query with the rule as extra conditions:
that query starts from the branches nearest the place, so it never scans the catalogue either.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import aliased, contains_eager

from konexi.extensions import db
from konexi.models import Claim, Company, User, Voucher
from konexi.models.base import UTCDateTime, utcnow
from konexi.models.preferences import user_favourite_categories
from konexi.services.catalogue import catalogue, nearby
from konexi.services.catalogue.catalogue import FeedItem
from konexi.services.catalogue.geo import Point

FOR_YOU_LIMIT = 4
NEVER = datetime(9999, 12, 31, tzinfo=UTC)  # "no bound" for an end time


def _not_used_up(user_id: Any) -> ColumnElement[bool]:
    """The user has claimed the voucher fewer times than its per-user limit.

    Hidden claims count here: they still use up the user's share of the voucher.
    """
    claims_of_voucher = (
        select(func.count(Claim.id))
        .where(Claim.voucher_id == Voucher.id, Claim.user_id == user_id)
        .correlate(Voucher)
        .scalar_subquery()
    )
    return claims_of_voucher < Voucher.per_user_limit


def suggestion_conditions(user_id: Any) -> list[ColumnElement[bool]]:
    """SQL conditions on Voucher: liked by this user's signals and not used up by their claims
    (``user_id``: an id, or a bound parameter that will hold one)."""
    claimed = aliased(Voucher)
    visible_claims = (
        select(claimed.category_id, claimed.company_id)
        .join(Claim, Claim.voucher_id == claimed.id)
        .where(Claim.user_id == user_id, Claim.hidden_at.is_(None))
        .subquery()
    )
    favourites = select(user_favourite_categories.c.category_id).where(
        user_favourite_categories.c.user_id == user_id
    )
    return [
        or_(
            Voucher.category_id.in_(favourites),
            Voucher.category_id.in_(select(visible_claims.c.category_id)),
            Voucher.company_id.in_(select(visible_claims.c.company_id)),
        ),
        _not_used_up(user_id),
    ]


def _first_live_per_signal(
    signal: Any,
    column: Any,
    user_id: Any,
    now: Any,
    limit: Any,
    sqlite: bool,
    ending_by: ColumnElement[Any] | None = None,
) -> Select:
    """(id, ends_at) of the first ``limit`` live vouchers not used up by the user, soonest ending
    first (and ending by ``ending_by``), whose ``column`` is the value of each row of ``signal``
    (a one-column CTE)."""
    conditions = [column == signal.c[0], *catalogue.live_conditions(now), _not_used_up(user_id)]
    if ending_by is not None:
        conditions.append(Voucher.ends_at <= ending_by)
    first = (
        select(Voucher.id, Voucher.ends_at)
        .join(Company, Voucher.company_id == Company.id)
        .where(*conditions)
        .order_by(Voucher.ends_at, Voucher.id)
        .limit(limit)
    )
    if not sqlite:
        picked = first.lateral("picked")
        return select(picked.c.id, picked.c.ends_at).select_from(signal).join(picked, true())
    picked_voucher = aliased(Voucher, name="picked")
    first_ids = first.with_only_columns(Voucher.id).correlate(signal)
    return (
        select(picked_voucher.id, picked_voucher.ends_at)
        .select_from(signal)
        .join(picked_voucher, picked_voucher.id.in_(first_ids))
    )


def _suggestions_statement(sqlite: bool) -> Select:
    """The suggestions without a location, with their company and category; bound parameters:
    ``user_id``, ``now``, ``limit`` and ``last`` (``limit - 1``)."""
    user_id = bindparam("user_id", type_=Integer())
    now = bindparam("now", type_=UTCDateTime())
    limit = bindparam("limit", type_=Integer())
    claimed = aliased(Voucher, name="claimed")
    signals = union(
        select(
            user_favourite_categories.c.category_id.label("category_id"),
            cast(null(), Integer()).label("company_id"),
        ).where(user_favourite_categories.c.user_id == user_id),
        select(claimed.category_id, claimed.company_id)
        .join(Claim, Claim.voucher_id == claimed.id)
        .where(Claim.user_id == user_id, Claim.hidden_at.is_(None)),
    ).cte("signals")
    categories = select(signals.c.category_id).distinct().cte("signal_categories")
    companies = (
        select(signals.c.company_id)
        .where(signals.c.company_id.is_not(None))
        .distinct()
        .cte("signal_companies")
    )
    by_category = _first_live_per_signal(
        categories, Voucher.category_id, user_id, now, limit, sqlite
    ).cte("by_category")
    # Every visible claim signals its category too, so the categories usually fill the page:
    # a provider's voucher can then only make it by ending no later than their last one, and
    # the many providers of a heavy user's history cost an empty index seek each.
    category_last = (
        select(by_category.c.ends_at)
        .order_by(by_category.c.ends_at, by_category.c.id)
        .offset(bindparam("last", type_=Integer()))
        .limit(1)
        .scalar_subquery()
    )
    ending_by = func.coalesce(category_last, literal(NEVER, UTCDateTime()))
    candidates = union(
        select(by_category.c.id, by_category.c.ends_at),
        _first_live_per_signal(
            companies, Voucher.company_id, user_id, now, limit, sqlite, ending_by
        ),
    ).subquery("candidates")
    first = select(candidates.c.id).order_by(candidates.c.ends_at, candidates.c.id).limit(limit)
    return (
        catalogue.with_company_and_category(select(Voucher))
        .options(contains_eager(Voucher.company), contains_eager(Voucher.category))
        .where(Voucher.id.in_(first))
        .order_by(Voucher.ends_at, Voucher.id)
    )


_STATEMENTS: dict[str, Select] = {}


def _soonest_ending_suggestions(user_id: int, limit: int) -> list[FeedItem]:
    """Suggestions by the module's rule, soonest ending first (one statement, built once per
    database: building it costs more than running it)."""
    dialect = db.session.get_bind().dialect.name
    statement = _STATEMENTS.get(dialect)
    if statement is None:
        statement = _STATEMENTS[dialect] = _suggestions_statement(dialect == "sqlite")
    now = utcnow()
    vouchers = db.session.scalars(
        statement, {"user_id": user_id, "now": now, "limit": limit, "last": limit - 1}
    ).unique()
    return [FeedItem(voucher, None, catalogue.days_left(voucher, now)) for voucher in vouchers]


def for_you(user: User, origin: Point | None = None, limit: int = FOR_YOU_LIMIT) -> list[FeedItem]:
    """Suggestions for this user by the module's rule (empty when personalisation is off)."""
    if not user.personalisation_enabled or limit <= 0:
        return []
    if origin is not None:
        # The user's id as a bound parameter: one statement for everybody, built once.
        extra = suggestion_conditions(bindparam("suggested_for", type_=Integer()))
        return nearby.nearest_live_vouchers(
            origin, 1, limit, extra=extra, cache_as="for_you", values={"suggested_for": user.id}
        ).items
    return _soonest_ending_suggestions(user.id, limit)
