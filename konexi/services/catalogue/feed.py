"""The voucher feed at ``/``: the listing, the category chips and the "for you" suggestions."""

from __future__ import annotations

from dataclasses import dataclass, field

from konexi.models import Category, User
from konexi.services.catalogue import catalogue, nearby, recommendations
from konexi.services.catalogue.catalogue import FeedItem, VoucherFilter, VoucherPage
from konexi.services.catalogue.geo import Point


@dataclass
class Feed:
    listing: VoucherPage
    categories: list[Category] = field(default_factory=list)
    for_you: list[FeedItem] = field(default_factory=list)


def build_feed(
    filters: VoucherFilter,
    page: int = 1,
    origin: Point | None = None,
    user: User | None = None,
    full_page: bool = True,
) -> Feed:
    """One page of live vouchers (nearest first when ``origin`` is known); a full page also gets
    the category chips and, on page one for a signed-in user, the "for you" suggestions."""
    if origin is not None:
        listing = nearby.nearest_live_vouchers(origin, page, filters=filters)
    else:
        listing = catalogue.live_vouchers(page, filters=filters)
    if not full_page:
        return Feed(listing=listing)
    suggestions: list[FeedItem] = []
    if user is not None and listing.page == 1:
        suggestions = recommendations.for_you(user, origin)
    return Feed(listing=listing, categories=catalogue.categories(), for_you=suggestions)
