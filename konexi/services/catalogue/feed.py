"""The voucher feed at ``/``: the listing, the category chips and the "for you" suggestions.

A voucher is shown once per page. The "for you" suggestions keep theirs: the listing leaves the
suggested vouchers out on every page, not only the first, so that "load more" never brings one
back and no voucher is skipped between pages (each page is a slice of the same list).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, bindparam

from konexi.models import User, Voucher
from konexi.services.catalogue import catalogue, nearby, recommendations
from konexi.services.catalogue.catalogue import FeedItem, VoucherFilter, VoucherPage
from konexi.services.catalogue.chips import Chip, active_chips
from konexi.services.catalogue.geo import Point

# Nearer than this, a voucher is "close"; when nothing on the first page is, the feed says how
# far the nearest ones are (a city with no branch would otherwise list vouchers in another one
# as if they were round the corner). 50 km is about the far side of a metropolitan area.
CLOSE_KM = 50.0


@dataclass
class Feed:
    listing: VoucherPage
    categories: Sequence[Chip] = ()
    for_you: list[FeedItem] = field(default_factory=list)
    nearest_far_km: float | None = None  # set when nothing shown is within CLOSE_KM
    suggested_ids: frozenset[int] = frozenset()  # only set when built without the listing


def _nearest_far_km(listing: VoucherPage, suggestions: Sequence[FeedItem]) -> float | None:
    """How far the nearest voucher on this page is, when it is farther than CLOSE_KM."""
    if not listing.nearby or listing.page != 1:
        return None
    distances = [
        item.distance_km for item in (*listing.items, *suggestions) if item.distance_km is not None
    ]
    if not distances or min(distances) <= CLOSE_KM:
        return None
    return min(distances)


def build_feed(
    filters: VoucherFilter,
    page: int = 1,
    origin: Point | None = None,
    user: User | None = None,
    full_page: bool = True,
    with_listing: bool = True,
    chips: Callable[[], Sequence[Chip]] = active_chips,
    suggested_ids: frozenset[int] | None = None,
) -> Feed:
    """One page of live vouchers (nearest first when ``origin`` is known), without the vouchers
    suggested to ``user``; page one also gets the category chips, and a full page one the
    "for you" suggestions themselves. ``with_listing=False``: the caller has the page's cards
    already (the listing is left empty; ``suggested_ids`` says which cards to leave out).
    ``chips``: where the category chips come from (a worker may keep them a few seconds).
    ``suggested_ids`` (with ``with_listing=False``): the user's suggestions are known already
    (the caller shows them), so they are not computed again."""
    if not with_listing and suggested_ids is not None:
        return Feed(
            listing=VoucherPage(items=[], page=page, has_more=False, filters=filters),
            categories=chips() if full_page or page == 1 else (),
            suggested_ids=suggested_ids,
        )
    suggestions = recommendations.for_you(user, origin) if user is not None else []
    if not with_listing:
        return Feed(
            listing=VoucherPage(items=[], page=page, has_more=False, filters=filters),
            categories=chips() if full_page or page == 1 else (),
            for_you=suggestions if full_page and page == 1 else [],
            suggested_ids=frozenset(item.voucher.id for item in suggestions),
        )
    extra: list[ColumnElement[bool]] = []
    values = {"suggested_ids": [item.voucher.id for item in suggestions]}
    if suggestions:
        extra.append(Voucher.id.not_in(bindparam("suggested_ids", expanding=True)))
    if origin is not None:
        listing = nearby.nearest_live_vouchers(
            origin,
            page,
            filters=filters,
            extra=extra,
            cache_as="without_suggestions" if extra else None,
            values=values,
        )
    else:
        listing = catalogue.live_vouchers(
            page,
            filters=filters,
            extra=extra,
            values=values,
            cache_as="without_suggestions" if extra else None,
        )
    shown = suggestions if full_page and listing.page == 1 else []
    return Feed(
        listing=listing,
        categories=chips() if full_page or listing.page == 1 else (),
        for_you=shown,
        nearest_far_km=_nearest_far_km(listing, shown),
    )
