"""Vouchers nearest first, and the stored location of users who allow keeping it.

A voucher's distance is the distance to its nearest active branch with a location. The database
ranks the vouchers itself, so a page is one query when the first box fills it: it looks in a
bounding box on the indexed branch coordinates and widens it step by step (5, 25, 100, 500, 1000,
2500 km, then everything) until the page can be filled with vouchers known to be within the
step's radius. The distance is the equirectangular one at the mean latitude (plain +, -, * so it
runs on SQLite and PostgreSQL alike): at Indonesia's latitudes it stays within 0.01% of the
great-circle (haversine) distance up to 500 km and within 0.3% up to 2500 km, which is all a
"1.2 km" label or the order of a feed needs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import contains_eager

from konexi.extensions import db
from konexi.models import Branch, Voucher, voucher_branches
from konexi.models.base import utcnow
from konexi.models.preferences import UserLocation
from konexi.services import catalogue
from konexi.services.catalogue import FeedItem, VoucherFilter, VoucherPage
from konexi.services.geo import KM_PER_DEGREE, Point, bounding_box, coarse_point

SEARCH_RADII_KM: tuple[float, ...] = (5, 25, 100, 500, 1000, 2500)
# The box is a hair wider than the radius so that it holds every branch the (approximate)
# distance puts within the radius.
_BOX_MARGIN = 1.01


def squared_degrees(origin: Point, latitude, longitude):  # type: ignore[no-untyped-def]
    """The squared distance from ``origin`` in degrees of arc, in portable SQL arithmetic.

    Longitude differences shrink with cos(mean latitude), expanded to second order around the
    origin's latitude. Works on plain floats too, which is how the tests compare it with the
    haversine distance.
    """
    phi = math.radians(origin.latitude)
    per_degree = math.pi / 360  # half a degree in radians: the mean latitude is half-way
    linear = -math.sin(phi) * per_degree
    square = -0.5 * math.cos(phi) * per_degree * per_degree
    dlat = latitude - origin.latitude
    dlon = (longitude - origin.longitude) * (math.cos(phi) + dlat * (linear + dlat * square))
    return dlat * dlat + dlon * dlon


def _ranked(
    origin: Point,
    radius_km: float | None,
    conditions: Sequence[ColumnElement[bool]],
    needed: int,
) -> Select:
    """The first ``needed`` matching vouchers by their nearest branch's squared distance
    (``d2``): those within ``radius_km``, looking only in its box; or, when it is None,
    all of them, those without a located branch (``d2`` NULL) last."""
    located = [
        Branch.is_active.is_(True),
        Branch.latitude.is_not(None),
        Branch.longitude.is_not(None),
    ]
    if radius_km is not None:
        box = bounding_box(origin, radius_km * _BOX_MARGIN)
        located += [
            Branch.latitude.between(box.min_latitude, box.max_latitude),
            Branch.longitude.between(box.min_longitude, box.max_longitude),
        ]
    links = (
        select(
            voucher_branches.c.voucher_id,
            squared_degrees(origin, Branch.latitude, Branch.longitude).label("d2"),
        )
        .select_from(Branch)
        .join(voucher_branches, voucher_branches.c.branch_id == Branch.id)
        .where(*located)
        .subquery("links")
    )
    linked = links.c.voucher_id == Voucher.id
    nearest = func.min(links.c.d2)
    statement = select(Voucher.id.label("voucher_id"), nearest.label("d2"))
    if radius_km is not None:
        statement = catalogue.with_company_and_category(
            statement.select_from(links).join(Voucher, linked)
        ).having(nearest <= (radius_km / KM_PER_DEGREE) ** 2)
    else:
        statement = catalogue.with_company_and_category(statement.select_from(Voucher)).outerjoin(
            links, linked
        )
    return (
        statement.where(*conditions)
        .group_by(Voucher.id, Voucher.ends_at)
        .order_by(case((nearest.is_(None), 1), else_=0), nearest, Voucher.ends_at, Voucher.id)
        .limit(needed)
    )


def _page_query(ranked: Select, offset: int, per_page: int) -> Select:
    """The page's vouchers with their company and category, in the ranked order."""
    nearest = ranked.subquery()
    return (
        catalogue.with_company_and_category(select(Voucher, nearest.c.d2))
        .join(nearest, nearest.c.voucher_id == Voucher.id)
        .options(contains_eager(Voucher.company), contains_eager(Voucher.category))
        .order_by(
            case((nearest.c.d2.is_(None), 1), else_=0),
            nearest.c.d2,
            Voucher.ends_at,
            Voucher.id,
        )
        .offset(offset)
        .limit(per_page + 1)
    )


def nearest_live_vouchers(
    origin: Point,
    page: int = 1,
    per_page: int = catalogue.PAGE_SIZE,
    filters: VoucherFilter | None = None,
    extra: Sequence[ColumnElement[bool]] = (),
    radii_km: Sequence[float] = SEARCH_RADII_KM,
) -> VoucherPage:
    """Live vouchers nearest first by their nearest active branch; those without a location last.

    A step's answer is used only when it fills the page (plus one, to know there is more):
    a voucher beyond the radius may have a nearer branch outside the box, so it waits for the
    next, wider step, where everything within the smaller radius comes out in the same order.
    """
    filters = filters or VoucherFilter()
    page = catalogue.clean_page(page)
    now = utcnow()
    # SQLite has no statistics unless ANALYZE ran: kept off the status index, it starts from the
    # branches in the box as PostgreSQL, which knows that most vouchers are live, does anyway.
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    conditions = [
        *catalogue.live_conditions(now, status_index=not sqlite),
        *catalogue.filter_conditions(filters),
        *extra,
    ]
    offset = (page - 1) * per_page
    rows: list = []
    for radius in [*radii_km, None]:
        ranked = _ranked(origin, radius, conditions, offset + per_page + 1)
        rows = list(db.session.execute(_page_query(ranked, offset, per_page)))
        if len(rows) > per_page:
            break
    items = [
        FeedItem(
            voucher,
            None if d2 is None else math.sqrt(d2) * KM_PER_DEGREE,
            catalogue.days_left(voucher, now),
        )
        for voucher, d2 in rows[:per_page]
    ]
    return VoucherPage(
        items=items, page=page, has_more=len(rows) > per_page, nearby=True, filters=filters
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
