"""The PostGIS side of the nearby search: is it there, and the nearest branches by KNN.

On PostgreSQL with the PostGIS migration applied, branches carry a geography point (a stored
generated column) under a GiST index; ``ORDER BY location <-> origin LIMIT n`` then walks the
index nearest first, whatever the distance: a town next door or the nearest coast from the sea
costs the same few index pages. Elsewhere (SQLite, or a PostgreSQL without the extension) the
portable latitude-band search answers, and a PostgreSQL without it says so once in the log.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import Boolean, Float, Integer, Subquery, bindparam, column, func, select, table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session

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


def nearest_branches() -> Subquery:
    """The ``cap`` nearest active located branches (KNN on the GiST index) with their distance
    in squared degrees of arc (the sphere distance, rescaled), as the portable search gives it:
    both paths then rank, page and label alike."""
    origin = func.ST_SetSRID(
        func.ST_MakePoint(
            bindparam("origin_lon", type_=Float()), bindparam("origin_lat", type_=Float())
        ),
        4326,
    ).cast(Geography(srid=4326))
    distance = _branches.c.location.distance_centroid(origin)
    return (
        select(
            _branches.c.id.label("branch_id"),
            func.power(distance / METRES_PER_DEGREE, 2).label("d2"),
        )
        .where(_branches.c.is_active.is_(True), _branches.c.location.is_not(None))
        .order_by(distance)
        .limit(bindparam("cap", type_=Integer()))
        .subquery("nearest_branches")
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
