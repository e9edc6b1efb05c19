"""Vouchers nearest first, and the stored location of users who allow keeping it.

A voucher's distance is the great-circle distance to its nearest active branch with a location.
The search looks in a bounding box on the indexed branch coordinates and widens it step by step
(5, 25, 100, 500 km, then everything) until the page can be filled with vouchers whose distance
is known to be within the box's radius, so a page in a busy city reads only the branches nearby.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select

from konexi.extensions import db
from konexi.models import Branch, Voucher, voucher_branches
from konexi.models.base import utcnow
from konexi.models.preferences import UserLocation
from konexi.services import catalogue
from konexi.services.catalogue import FeedItem, VoucherFilter, VoucherPage
from konexi.services.geo import BoundingBox, Point, bounding_box, coarse_point, haversine_km

SEARCH_RADII_KM: tuple[float, ...] = (5, 25, 100, 500)
_EDGE_SLACK_KM = 1e-6


@dataclass(frozen=True, order=True)
class RankedVoucher:
    """A voucher's place in the nearest-first order (its fields sort in this order)."""

    unknown: bool  # no located branch: after every voucher with a distance
    distance_km: float
    ends_at: datetime
    voucher_id: int


def _candidate_rows(
    origin: Point,
    box: BoundingBox | None,
    conditions: Sequence[ColumnElement[bool]],
) -> dict[int, RankedVoucher]:
    """Each matching live voucher's nearest active branch inside ``box`` (None: anywhere)."""
    located = [
        Branch.is_active.is_(True),
        Branch.latitude.is_not(None),
        Branch.longitude.is_not(None),
    ]
    if box is not None:
        located += [
            Branch.latitude.between(box.min_latitude, box.max_latitude),
            Branch.longitude.between(box.min_longitude, box.max_longitude),
        ]
        statement = (
            select(Voucher.id, Voucher.ends_at, Branch.latitude, Branch.longitude)
            .select_from(Branch)
            .join(voucher_branches, voucher_branches.c.branch_id == Branch.id)
            .join(Voucher, Voucher.id == voucher_branches.c.voucher_id)
            .where(Branch.company_id == Voucher.company_id, *located)
        )
    else:
        # Everything: vouchers without a located branch come too, with no distance.
        near = (
            select(
                voucher_branches.c.voucher_id, Branch.company_id, Branch.latitude, Branch.longitude
            )
            .join(Branch, Branch.id == voucher_branches.c.branch_id)
            .where(*located)
            .subquery()
        )
        statement = (
            select(Voucher.id, Voucher.ends_at, near.c.latitude, near.c.longitude)
            .select_from(Voucher)
            .outerjoin(
                near,
                and_(near.c.voucher_id == Voucher.id, near.c.company_id == Voucher.company_id),
            )
        )
    statement = catalogue.with_company_and_category(statement).where(*conditions)
    best: dict[int, RankedVoucher] = {}
    for voucher_id, ends_at, latitude, longitude in db.session.execute(statement):
        if latitude is None or longitude is None:
            ranked = RankedVoucher(True, 0.0, ends_at, voucher_id)
        else:
            distance = haversine_km(origin, Point(latitude, longitude))
            ranked = RankedVoucher(False, distance, ends_at, voucher_id)
        current = best.get(voucher_id)
        if current is None or ranked < current:
            best[voucher_id] = ranked
    return best


def rank_by_distance(
    origin: Point,
    needed: int,
    conditions: Sequence[ColumnElement[bool]],
    radii_km: Sequence[float] = SEARCH_RADII_KM,
) -> list[RankedVoucher]:
    """At least ``needed`` vouchers nearest first (or all there are), widening the box in steps.

    Only vouchers within a step's radius are trusted: one just inside the box's corner may have
    a nearer branch outside the box, so it waits for a wider step.
    """
    for radius in radii_km:
        candidates = _candidate_rows(origin, bounding_box(origin, radius), conditions)
        within = [r for r in candidates.values() if r.distance_km <= radius + _EDGE_SLACK_KM]
        if len(within) >= needed:
            return sorted(within)
    return sorted(_candidate_rows(origin, None, conditions).values())


def nearest_live_vouchers(
    origin: Point,
    page: int = 1,
    per_page: int = catalogue.PAGE_SIZE,
    filters: VoucherFilter | None = None,
    extra: Sequence[ColumnElement[bool]] = (),
) -> VoucherPage:
    """Live vouchers nearest first by their nearest active branch; those without a location last."""
    filters = filters or VoucherFilter()
    page = catalogue.clean_page(page)
    now = utcnow()
    conditions = [
        *catalogue.live_conditions(now),
        *catalogue.filter_conditions(filters),
        *extra,
    ]
    offset = (page - 1) * per_page
    ranked = rank_by_distance(origin, offset + per_page + 1, conditions)
    window = ranked[offset : offset + per_page]
    vouchers = catalogue.load_vouchers([r.voucher_id for r in window])
    items = [
        FeedItem(
            vouchers[r.voucher_id],
            None if r.unknown else r.distance_km,
            catalogue.days_left(vouchers[r.voucher_id], now),
        )
        for r in window
        if r.voucher_id in vouchers
    ]
    return VoucherPage(
        items=items,
        page=page,
        has_more=len(ranked) > offset + per_page,
        nearby=True,
        filters=filters,
    )


# -- the stored location (only with the user's store_location setting) -----------------------
def stored_location(user_id: int) -> Point | None:
    """The user's stored location, if they let Konexi keep one."""
    row = db.session.get(UserLocation, user_id)
    return Point(row.latitude, row.longitude) if row else None


def store_location(user_id: int, point: Point) -> None:
    """Keep the user's coarse location (rounded to about 1 km) for their next visit."""
    coarse = coarse_point(point.latitude, point.longitude)
    if coarse is None:
        return
    row = db.session.get(UserLocation, user_id)
    if row is None:
        db.session.add(
            UserLocation(user_id=user_id, latitude=coarse.latitude, longitude=coarse.longitude)
        )
    else:
        row.latitude, row.longitude, row.updated_at = coarse.latitude, coarse.longitude, utcnow()
    db.session.commit()


def forget_location(user_id: int) -> None:
    """Delete the user's stored location (when they clear it or turn the setting off)."""
    row = db.session.get(UserLocation, user_id)
    if row is not None:
        db.session.delete(row)
        db.session.commit()
