"""Vouchers nearest first, and the stored location of users who allow keeping it.

A voucher's distance is the distance to its nearest active branch with a location. The database
ranks the vouchers itself, and a page is one query when the first step fills it. Each step looks
in a bounding box (radius 4 km, times 4 up to 4096 km, then everything) and ranks the vouchers of
only the ``cap`` active branches in the box nearest the origin. Branches are cheap to find: the
index on (0.1° latitude row, longitude, latitude, active) seeks each row of the box and holds
everything the distance needs, and the link index holds the voucher ids. Vouchers are what cost
(a row each, checked against the live and filter conditions), so a step looks up a number of
vouchers bounded by the page size, not by what the box holds: a dense city at the edge of a wide
box costs sorting its branches, not looking up their vouchers; and far from everything the empty
steps cost a round trip each until the box reaches the nearest town.

A step's answer is exact for the vouchers nearer than its radius and, when the cap cut the
branches short, nearer than the farthest branch it kept: nothing nearer can have been missed.
When those do not fill the page, the next step quadruples the cap when the cap was what cut it
short (a selective filter, branches with few vouchers); widens the box just enough to hold the
page's last voucher when the box's corners (beyond the radius) filled the page; or else takes the
next radius. So the query count of a page is small and bounded: one in a city, one per empty
radius plus one or two far from everything (at most about ten), and "everything" only when the
whole country holds fewer matching vouchers than the page needs.

On PostgreSQL with PostGIS (konexi/services/catalogue/postgis.py) no box is needed: a KNN walk
of a GiST index streams the nearest branches' vouchers and stops as soon as the page is full,
so a page costs the vouchers of the few branches it needs; the filters, order and pages are the
same on both paths.

The statements are built once (per database, for the plain feed) with bound parameters for the
origin, the box and the cap: building a SQLAlchemy statement this size costs more than running
it.

The distance is the equirectangular one at the mean latitude (plain +, -, * so it runs on SQLite
and PostgreSQL alike): at Indonesia's latitudes it stays within 0.01% of the great-circle
(haversine) distance up to 500 km and within 0.3% up to 2500 km, which is all a "1.2 km" label
or the order of a feed needs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    Subquery,
    and_,
    any_,
    bindparam,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import contains_eager

from konexi.extensions import db
from konexi.models import Branch, Category, Company, Voucher, voucher_branches
from konexi.models.base import UTCDateTime, utcnow
from konexi.models.catalogue import latitude_band
from konexi.models.preferences import UserLocation
from konexi.services.catalogue import catalogue, postgis
from konexi.services.catalogue.catalogue import FeedItem, VoucherFilter, VoucherPage
from konexi.services.catalogue.geo import KM_PER_DEGREE, Point, bounding_box, coarse_point
from konexi.services.catalogue.postgis import NearbyPath

SEARCH_RADII_KM: tuple[float, ...] = (4, 16, 64, 256, 1024, 4096)
# The first step ranks as many branches as the vouchers it needs (a branch usually holds
# several), and never fewer than enough for a small page.
BRANCHES_PER_VOUCHER = 0.5
MIN_BRANCHES = 6
# The PostGIS walk reads this many matching links past the ones the page needs: a voucher at
# two of the nearest branches then rarely costs a second read.
SCAN_SLACK = 8
CAP_GROWTH = 4
# The box is a hair wider than the radius so that it holds every branch the (approximate)
# distance puts within the radius.
_BOX_MARGIN = 1.01


def _coefficients(origin: Point) -> tuple[float, float, float]:
    """cos(mean latitude) around the origin's latitude, to second order in the latitude step."""
    phi = math.radians(origin.latitude)
    per_degree = math.pi / 360  # half a degree in radians: the mean latitude is half-way
    return (
        math.cos(phi),
        -math.sin(phi) * per_degree,
        -0.5 * math.cos(phi) * per_degree * per_degree,
    )


# Any: the same arithmetic runs on floats and on SQL expressions.
def _squared(
    latitude: Any, longitude: Any, origin_lat: Any, origin_lon: Any, c0: Any, c1: Any, c2: Any
) -> Any:
    dlat = latitude - origin_lat
    dlon = (longitude - origin_lon) * (c0 + dlat * (c1 + dlat * c2))
    return dlat * dlat + dlon * dlon


def squared_degrees(origin: Point, latitude: Any, longitude: Any) -> Any:
    """The squared distance from ``origin`` in degrees of arc, in portable SQL arithmetic.

    Longitude differences shrink with cos(mean latitude), expanded to second order around the
    origin's latitude. Works on plain floats too, which is how the tests compare it with the
    haversine distance.
    """
    return _squared(latitude, longitude, origin.latitude, origin.longitude, *_coefficients(origin))


def _param(name: str) -> Any:
    return bindparam(name, type_=Float())


def _d2() -> ColumnElement[float]:
    """The squared distance of a branch, with the origin as bound parameters."""
    return _squared(
        Branch.latitude,
        Branch.longitude,
        _param("origin_lat"),
        _param("origin_lon"),
        _param("c0"),
        _param("c1"),
        _param("c2"),
    )


def _origin_parameters(origin: Point) -> dict[str, float]:
    c0, c1, c2 = _coefficients(origin)
    return {
        "origin_lat": origin.latitude,
        "origin_lon": origin.longitude,
        "c0": c0,
        "c1": c1,
        "c2": c2,
    }


def _in_bands(sqlite: bool) -> ColumnElement[bool]:
    """The branch is in one of the box's latitude rows: an IN list on SQLite; one array on
    PostgreSQL, so that the statement's text (and its prepared plan) stays the same."""
    if sqlite:
        return Branch.lat_band.in_(bindparam("bands", expanding=True))
    return Branch.lat_band == any_(bindparam("bands", type_=postgresql.ARRAY(Integer())))


def _portable_nearest_branches(sqlite: bool) -> Subquery:
    """The ``cap`` active branches in the box (its corners too) nearest the origin."""
    d2 = _d2().label("d2")
    return (
        select(Branch.id.label("branch_id"), d2)
        .where(
            _in_bands(sqlite),
            Branch.longitude.between(_param("min_lon"), _param("max_lon")),
            Branch.latitude.between(_param("min_lat"), _param("max_lat")),
            Branch.is_active.is_(True),
        )
        .order_by(d2)
        .limit(bindparam("cap", type_=Integer()))
        .subquery("nearest_branches")
    )


def _nearest_links(nearest: Subquery) -> Subquery:
    """The links of the ``nearest`` branches, each with how many branches were kept and the
    farthest of them (did the cap cut them short?).

    A branch without a voucher still gives a row (without one), so that the step knows it.
    """
    counted = select(
        nearest.c.branch_id,
        nearest.c.d2,
        func.count().over().label("kept"),
        func.max(nearest.c.d2).over().label("farthest"),
    ).subquery("counted_branches")
    return (
        select(voucher_branches.c.voucher_id, counted.c.d2, counted.c.kept, counted.c.farthest)
        .select_from(
            counted.outerjoin(voucher_branches, voucher_branches.c.branch_id == counted.c.branch_id)
        )
        .subquery("links")
    )


def _within_statement(conditions: Sequence[ColumnElement[bool]], nearest: Subquery) -> Select:
    """A step's page of vouchers (plus one) with their company and category, ranked.

    Every row also says how many branches the step kept and the farthest of them. The links are
    outer-joined to the matching vouchers, so that the database starts from the few links and
    looks each voucher up, and so that links to vouchers that do not match (and branches without
    any) still say it, as rows without a voucher after the matching ones, when too few match.
    """
    links = _nearest_links(nearest)
    # A chain of outer joins that every database runs in this order; the conditions sit on the
    # last one, so a voucher matches when its category row came along.
    joined = (
        links.outerjoin(Voucher, Voucher.id == links.c.voucher_id)
        .outerjoin(Company, Company.id == Voucher.company_id)
        .outerjoin(Category, and_(Category.id == Voucher.category_id, *conditions))
    )
    closest = func.min(links.c.d2)
    voucher_id = func.max(case((Category.id.is_not(None), Voucher.id)))
    ends_at = func.max(Voucher.ends_at)
    order = (case((voucher_id.is_(None), 1), else_=0), closest, ends_at, links.c.voucher_id)
    ranked = (
        select(
            voucher_id.label("voucher_id"),
            closest.label("d2"),
            func.max(links.c.kept).label("kept"),
            func.max(links.c.farthest).label("farthest"),
            func.row_number().over(order_by=order).label("position"),
        )
        .select_from(joined)
        .group_by(links.c.voucher_id)
        .order_by(*order)
        .limit(bindparam("needed", type_=Integer()))
        .subquery("ranked")
    )
    # The page, and the first row whatever the page: it tells the step what it kept even when
    # the page itself is empty.
    offset = bindparam("offset", type_=Integer())
    return (
        select(Voucher, ranked.c.d2, ranked.c.kept, ranked.c.farthest, ranked.c.position)
        .select_from(ranked)
        .outerjoin(Voucher, Voucher.id == ranked.c.voucher_id)
        .outerjoin(Company, Voucher.company_id == Company.id)
        .outerjoin(Category, Voucher.category_id == Category.id)
        .where(or_(ranked.c.position > offset, ranked.c.position == 1))
        .options(contains_eager(Voucher.company), contains_eager(Voucher.category))
        .order_by(ranked.c.position)
    )


def _everywhere_statement(conditions: Sequence[ColumnElement[bool]]) -> Select:
    """The page of all matching vouchers, ranked; those without a located branch last."""
    links = (
        select(voucher_branches.c.voucher_id, _d2().label("d2"))
        .select_from(Branch)
        .join(voucher_branches, voucher_branches.c.branch_id == Branch.id)
        .where(
            Branch.is_active.is_(True), Branch.latitude.is_not(None), Branch.longitude.is_not(None)
        )
        .subquery("links")
    )
    nearest = func.min(links.c.d2)
    ranked = (
        catalogue.with_company_and_category(
            select(Voucher.id.label("voucher_id"), nearest.label("d2")).select_from(Voucher)
        )
        .outerjoin(links, links.c.voucher_id == Voucher.id)
        .where(*conditions)
        .group_by(Voucher.id, Voucher.ends_at)
        .order_by(case((nearest.is_(None), 1), else_=0), nearest, Voucher.ends_at, Voucher.id)
        .offset(bindparam("offset", type_=Integer()))
        .limit(bindparam("page_limit", type_=Integer()))
        .subquery("ranked")
    )
    return (
        catalogue.with_company_and_category(select(Voucher, ranked.c.d2))
        .join(ranked, ranked.c.voucher_id == Voucher.id)
        .options(contains_eager(Voucher.company), contains_eager(Voucher.category))
        .order_by(
            case((ranked.c.d2.is_(None), 1), else_=0), ranked.c.d2, Voucher.ends_at, Voucher.id
        )
    )


@dataclass
class _Statements:
    within: Select
    conditions: list[ColumnElement[bool]]
    everywhere: Select | None = None

    def everywhere_statement(self) -> Select:
        if self.everywhere is None:
            self.everywhere = _everywhere_statement(self.conditions)
        return self.everywhere


_BUILT: dict[tuple[str, str], _Statements] = {}


def _statements(
    path: str,
    filters: VoucherFilter,
    extra: Sequence[ColumnElement[bool]],
    cache_as: str | None = None,
) -> _Statements:
    """The statements for these filters; those of the plain feed, and of extra conditions
    named by ``cache_as``, are built once per database."""
    kept = filters.is_empty and (cache_as is not None or not extra)
    sqlite = path == "sqlite"
    key = (path, cache_as or "plain")
    if kept and key in _BUILT:
        return _BUILT[key]
    now = bindparam("now", type_=UTCDateTime())
    conditions = [
        # SQLite without statistics would start from every live voucher: kept off the status
        # index, it starts from the links near the place, as PostgreSQL does anyway.
        *catalogue.live_conditions(now, status_index=not sqlite),
        *catalogue.filter_conditions(filters),
        *extra,
    ]
    within = (
        postgis.nearest_vouchers_statement(conditions)
        if path == NearbyPath.POSTGIS
        else _within_statement(conditions, _portable_nearest_branches(sqlite))
    )
    statements = _Statements(within, conditions)
    if kept:
        _BUILT[key] = statements
    return statements


def _box_parameters(origin: Point, radius_km: float, path: str) -> dict[str, Any]:
    if path == NearbyPath.POSTGIS:
        return {"radius2": math.inf}
    box = bounding_box(origin, radius_km * _BOX_MARGIN)
    first, last = latitude_band(box.min_latitude), latitude_band(box.max_latitude)
    return {
        "bands": list(range(first or 0, (last or 0) + 1)),  # the box's rows (Branch.lat_band)
        "min_lat": box.min_latitude,
        "max_lat": box.max_latitude,
        "min_lon": box.min_longitude,
        "max_lon": box.max_longitude,
        "radius2": (radius_km / KM_PER_DEGREE) ** 2,
    }


def _search_path() -> str:
    """ "postgis", "sqlite" or "portable" (PostgreSQL without PostGIS): which statements run."""
    if db.session.get_bind().dialect.name == "sqlite":
        return "sqlite"
    return postgis.nearby_path(db.session)


def _box_rows(
    statement: Select,
    parameters: dict[str, Any],
    origin: Point,
    radii_km: Sequence[float],
    path: str,
) -> list[Any] | None:
    """The page's rows from the widening boxes, or None when only "everywhere" can answer.

    A step's answer is used only when it fills the page (plus one, to know there is more) with
    vouchers it ranked exactly: within its radius, and nearer than the farthest branch it kept
    when its cap cut the branches short. Anything else may have a nearer branch it did not see.
    """
    offset, needed = parameters["offset"], parameters["needed"]
    step = {**parameters, "cap": max(MIN_BRANCHES, math.ceil(BRANCHES_PER_VOUCHER * needed))}
    radii = sorted(radii_km)
    radius = radii[0] if radii else None
    while radius is not None:
        step.update(_box_parameters(origin, radius, path))
        rows = list(db.session.execute(statement, step))
        kept, farthest = (rows[0].kept, rows[0].farthest) if rows else (0, None)  # no branch
        rows = [row for row in rows if row[0] is not None and row.position > offset]
        truncated = kept >= step["cap"]
        last = rows[-1].d2 if len(rows) >= needed - offset else None
        if last is None:
            if truncated:  # the branches ran out before the page was full: rank more of them
                step["cap"] *= CAP_GROWTH
            else:
                radius = next((r for r in radii if r > radius), None)
        elif last > step["radius2"]:
            # The box's corners (beyond the radius) filled the page: a box just wide enough to
            # hold the page's last voucher will, with everything nearer (and it grows by a
            # quarter at least, so that the search always ends).
            radius = max(math.sqrt(last) * KM_PER_DEGREE * (1 + 1e-6), radius * 1.25)
        elif truncated and last >= farthest:
            step["cap"] *= CAP_GROWTH  # a branch the cap left out may tie with the last
        else:
            return rows
    return None


def _knn_rows(statement: Select, parameters: dict[str, Any]) -> list[Any] | None:
    """The page's rows from the PostGIS walk, or None when only "everywhere" can answer.

    The walk reads links until ``scan`` of them matched; if those hold fewer distinct vouchers
    than needed (one voucher at several nearby branches), it reads 4x more; if it ran out of
    the ``cap`` branches first, it ranks 4x more branches; if it saw every located branch and
    still falls short, the vouchers without a location come next: the "everywhere" statement.
    """
    needed = parameters["needed"]
    step = {**parameters, "scan": needed + SCAN_SLACK, "cap": max(MIN_BRANCHES, needed)}
    while True:
        rows = list(db.session.execute(statement, step))
        first = rows[0]  # the statement always answers with a row (without a voucher: none)
        page = [row for row in rows if row[0] is not None and row.position > parameters["offset"]]
        if rows[-1].position is not None and rows[-1].position >= needed:
            return page
        if first.streamed >= step["scan"]:
            step["scan"] *= CAP_GROWTH  # the links read held the same vouchers more than once
        elif first.kept >= step["cap"]:
            step["cap"] *= CAP_GROWTH  # the branches ran out before the page was full
        else:
            return None  # every located branch seen: the rest have no location


def nearest_live_vouchers(
    origin: Point,
    page: int = 1,
    per_page: int = catalogue.PAGE_SIZE,
    filters: VoucherFilter | None = None,
    extra: Sequence[ColumnElement[bool]] = (),
    radii_km: Sequence[float] = SEARCH_RADII_KM,
    cache_as: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> VoucherPage:
    """Live vouchers nearest first by their nearest active branch; those without a location last.

    ``extra`` conditions written with bound parameters (their ``values`` given here) may name
    themselves with ``cache_as``: the statements are then built once, like the plain feed's. The
    same name must always mean the same conditions.

    A step's answer is used only when it fills the page (plus one, to know there is more) with
    vouchers it ranked exactly: within its radius, and nearer than the farthest branch it kept
    when its cap cut the branches short. Anything else may have a nearer branch it did not see.
    """
    filters = filters or VoucherFilter()
    page = catalogue.clean_page(page)
    now = utcnow()
    path = _search_path()
    statements = _statements(path, filters, extra, cache_as)
    offset = (page - 1) * per_page
    parameters: dict[str, Any] = {
        **(values or {}),
        **_origin_parameters(origin),
        "now": now,
        "offset": offset,
        "page_limit": per_page + 1,
        "needed": offset + per_page + 1,
    }
    if path == NearbyPath.POSTGIS:
        rows = _knn_rows(statements.within, parameters)
    else:
        rows = _box_rows(statements.within, parameters, origin, radii_km, path)
    if rows is None:
        rows = list(db.session.execute(statements.everywhere_statement(), parameters))
    items = [
        FeedItem(
            row[0],
            None if row.d2 is None else math.sqrt(row.d2) * KM_PER_DEGREE,
            catalogue.days_left(row[0], now),
        )
        for row in rows[:per_page]
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
