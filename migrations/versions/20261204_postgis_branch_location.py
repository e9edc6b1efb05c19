"""PostgreSQL: PostGIS, and a geography point on branches (GiST-indexed) for the nearby search.

Revision ID: 20261204_postgis
Revises: 20261204_offline
Create Date: 2026-12-04

The column is GENERATED ALWAYS ... STORED from latitude/longitude: the database keeps it in step
with every write (the ORM, bulk loads, hand-written SQL, later migrations), so no application
code can forget it, and rows without a location get NULL (ST_MakePoint is strict). Where the
extension cannot be had (not installed on the server, or no right to create it) the revision
logs one line and does nothing: the app then keeps the portable latitude-band search. SQLite:
nothing to do.
"""

from __future__ import annotations

import logging

from alembic import op
from sqlalchemy import text

revision = "20261204_postgis"
down_revision = "20261204_offline"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def _postgis_enabled() -> bool:
    """Create the extension if the server has it; False when it cannot be had."""
    bind = op.get_bind()
    available = bind.scalar(
        text("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")
    )
    if not available:
        log.warning("PostGIS is not installed on this server: nearby keeps the portable search")
        return False
    # A savepoint: a refused CREATE EXTENSION (no privilege) must not abort the migration.
    try:
        with bind.begin_nested():
            bind.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except Exception as error:  # noqa: BLE001 - any refusal means: keep the portable search
        log.warning("PostGIS could not be enabled (%s): nearby keeps the portable search", error)
        return False
    return True


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql" or not _postgis_enabled():
        return
    op.execute(
        "ALTER TABLE branches ADD COLUMN location geography(Point, 4326) GENERATED ALWAYS AS "
        "(ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)::geography) STORED"
    )
    op.execute("CREATE INDEX ix_branches_location ON branches USING gist (location)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_branches_location")
    op.execute("ALTER TABLE branches DROP COLUMN IF EXISTS location")
