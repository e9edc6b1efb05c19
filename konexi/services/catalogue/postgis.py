"""The PostGIS side of the nearby search: is it there, and the nearest vouchers by a KNN walk.

On PostgreSQL with the PostGIS migration applied, branches carry a geography point (a stored
generated column) under a GiST index; ``ORDER BY location <-> origin LIMIT n`` then walks the
index nearest first, whatever the distance: a town next door or the nearest coast from the sea
costs the same few index pages. The vouchers are read branch by branch along that walk, which
stops once the page is full. Elsewhere (SQLite, or a PostgreSQL without the extension) the
portable latitude-band search answers, and a PostgreSQL without it says so once in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Integer,
    Select,
    bindparam,
    case,
    column,
    func,
    literal,
    or_,
    select,
    table,
    true,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, contains_eager, scoped_session

from konexi.models import Category, Company, Voucher, voucher_branches
from konexi.services.catalogue.geo import KM_PER_DEGREE

log = logging.getLogger(__name__)

# The migration's column: not on the model, since SQLite (and PostgreSQL without the extension)
# has no such column; this lightweight table names it for the queries.
_branches = table(
    "branches",
    column("id", Integer),
    column("is_active", Boolean),
    column("location", Geography(geometry_type="POINT", srid=4326)),
)
METRES_PER_DEGREE = KM_PER_DEGREE * 1000


class NearbyPath(StrEnum):
    POSTGIS = "postgis"
    PORTABLE = "portable"


_PATHS: dict[str, NearbyPath] = {}


def nearby_path(session: Session | scoped_session[Any]) -> NearbyPath:
    """Which search this database runs: PostGIS when branches have the geography column.

    Decided once per database and process; a database that cannot be asked (down) gets the
    portable answer for now and is asked again next time.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return NearbyPath.PORTABLE
    # A session bound to a Connection (a test's transaction) has its URL on the engine.
    key = bind.engine.url.render_as_string(hide_password=True)
    if key in _PATHS:
        return _PATHS[key]
    try:
        found = session.execute(
            select(column("udt_name"))
            .select_from(table("columns", schema="information_schema"))
            .where(
                column("table_schema") == func.current_schema(),
                column("table_name") == "branches",
                column("column_name") == "location",
            )
        ).scalar()
    except SQLAlchemyError as error:
        session.rollback()
        log.warning("nearby: could not tell whether PostGIS is there (%s)", error)
        return NearbyPath.PORTABLE
    path = NearbyPath.POSTGIS if found == "geography" else NearbyPath.PORTABLE
    if path is NearbyPath.POSTGIS:
        log.info("nearby: PostGIS (KNN on branches.location)")
    else:
        log.warning(
            "nearby: PostGIS is not enabled on this PostgreSQL database (no branches.location); "
            "using the portable latitude-band search"
        )
    _PATHS[key] = path
    return path


def _origin() -> ColumnElement[Any]:
    return func.ST_SetSRID(
        func.ST_MakePoint(
            bindparam("origin_lon", type_=Float()), bindparam("origin_lat", type_=Float())
        ),
        4326,
    ).cast(Geography(srid=4326))


def _nearest_branches(distance: ColumnElement[float]) -> Select:
    """The ``cap`` nearest active located branches, nearest first (KNN on the GiST index), and
    any as near as the last of them.

    The limit is what makes the planner walk the index: without it, PostgreSQL sorts all the
    branches (a parallel scan, ~100 ms at 100,000 branches) rather than trust a stream it
    cannot size. WITH TIES: a cap that left out a branch exactly as near as the last one kept
    could leave out a voucher that ranks before the page's last (same distance, sooner end).
    """
    return (
        select(_branches.c.id.label("branch_id"), distance.label("metres"))
        .where(_branches.c.is_active.is_(True), _branches.c.location.is_not(None))
        .order_by(distance)
        .fetch(bindparam("cap", type_=Integer()), with_ties=True)
    )


def nearest_vouchers_statement(conditions: Sequence[ColumnElement[bool]]) -> Select:
    """A page (plus one) of matching vouchers nearest first, from a KNN walk that stops early.

    The walk streams (branch, voucher) links nearest branch first, each branch's vouchers by
    end and id, and stops after ``scan`` matching links: PostgreSQL's incremental sort on the
    presorted distance ends at the first branch past them, so a page costs the vouchers of the
    few branches it needs, not of a fixed number of branches. A voucher linked to several of
    those branches comes first at its nearest: the first ``needed`` distinct vouchers of the
    stream are the exact answer (any other voucher ranks after the last link read).

    Every row also says how many links the walk read (``streamed``) and, only when it read
    fewer than ``scan``, how many branches the cap held (``kept``): the caller tells from them
    whether to read on or whether every located branch was seen.
    """
    distance = _branches.c.location.distance_centroid(_origin())
    nearest = _nearest_branches(distance).subquery("nearest_branches")
    stream = (
        select(
            nearest.c.branch_id,
            nearest.c.metres,
            voucher_branches.c.voucher_id,
            Voucher.ends_at,
        )
        .select_from(
            nearest.join(voucher_branches, voucher_branches.c.branch_id == nearest.c.branch_id)
            .join(Voucher, Voucher.id == voucher_branches.c.voucher_id)
            .join(Company, Company.id == Voucher.company_id)
            .join(Category, Category.id == Voucher.category_id)
        )
        .where(*conditions)
        # The distance first, as the index gives it: the sort is then per branch.
        .order_by(
            nearest.c.metres, Voucher.ends_at, voucher_branches.c.voucher_id, nearest.c.branch_id
        )
        .limit(bindparam("scan", type_=Integer()))
        .subquery("stream")
    )
    closest = func.min(stream.c.metres)
    order = (closest, stream.c.ends_at, stream.c.voucher_id)
    ranked = (
        select(
            stream.c.voucher_id,
            closest.label("metres"),
            func.sum(func.count()).over().label("streamed"),
            func.row_number().over(order_by=order).label("position"),
        )
        .group_by(stream.c.voucher_id, stream.c.ends_at)
        .order_by(*order)
        .limit(bindparam("needed", type_=Integer()))
        .subquery("ranked")
    )
    # Counted only when the walk ran short: PostgreSQL runs a scalar subquery when first needed.
    cap_held = (
        select(func.count())
        .select_from(_nearest_branches(distance).subquery("cap_branches"))
        .scalar_subquery()
    )
    streamed = func.coalesce(ranked.c.streamed, 0)
    # One row even when nothing matched, so that the caller always learns what the walk read.
    anchor = select(literal(1).label("anchor")).subquery("anchor")
    offset = bindparam("offset", type_=Integer())
    return (
        select(
            Voucher,
            func.power(ranked.c.metres / METRES_PER_DEGREE, 2).label("d2"),
            streamed.label("streamed"),
            case((streamed < bindparam("scan", type_=Integer()), cap_held)).label("kept"),
            ranked.c.position,
        )
        .select_from(anchor)
        .outerjoin(ranked, true())
        .outerjoin(Voucher, Voucher.id == ranked.c.voucher_id)
        .outerjoin(Company, Voucher.company_id == Company.id)
        .outerjoin(Category, Voucher.category_id == Category.id)
        # The page, and the first row whatever the page: it says what the walk read even when
        # the page itself is empty.
        .where(or_(ranked.c.position > offset, func.coalesce(ranked.c.position, 1) == 1))
        .options(contains_eager(Voucher.company), contains_eager(Voucher.category))
        .order_by(ranked.c.position)
    )


def outside_postgis(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's include_object: leave out what the PostGIS migration and extension own (the
    extension's spatial_ref_sys table, branches.location and its index), which no model maps."""
    if type_ == "table":
        return name != "spatial_ref_sys"
    table = getattr(getattr(obj, "table", None), "name", None)
    return not (table == "branches" and name in {"location", "ix_branches_location"})
