""" "For you": live vouchers suggested from what a user told us they like and what they claimed.

Rule: suggest live vouchers in the user's favourite categories, or in the category or from the
provider of a claim they have not hidden, leaving out vouchers they already claimed up to the
per-user limit; nearest first when a location is known, otherwise soonest ending first; nothing
at all (not even a query) when the user has turned personalisation off.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import aliased

from konexi.models import Claim, User, Voucher
from konexi.models.preferences import user_favourite_categories
from konexi.services import catalogue, nearby
from konexi.services.catalogue import FeedItem
from konexi.services.geo import Point

FOR_YOU_LIMIT = 4


def suggestion_conditions(user_id: int) -> list[ColumnElement[bool]]:
    """SQL conditions on Voucher: liked by this user's signals and not used up by their claims."""
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
    # Hidden claims count here: they still use up the user's share of the voucher.
    claims_of_voucher = (
        select(func.count(Claim.id))
        .where(Claim.voucher_id == Voucher.id, Claim.user_id == user_id)
        .scalar_subquery()
    )
    return [
        or_(
            Voucher.category_id.in_(favourites),
            Voucher.category_id.in_(select(visible_claims.c.category_id)),
            Voucher.company_id.in_(select(visible_claims.c.company_id)),
        ),
        claims_of_voucher < Voucher.per_user_limit,
    ]


def for_you(user: User, origin: Point | None = None, limit: int = FOR_YOU_LIMIT) -> list[FeedItem]:
    """Suggestions for this user by the module's rule (empty when personalisation is off)."""
    if not user.personalisation_enabled:
        return []
    extra = suggestion_conditions(user.id)
    if origin is not None:
        return nearby.nearest_live_vouchers(origin, 1, limit, extra=extra).items
    return catalogue.live_vouchers(1, limit, extra=extra).items
