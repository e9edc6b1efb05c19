"""Alembic environment for Konexi: the app's engine and metadata, batch mode for SQLite."""

from __future__ import annotations

import logging
from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from flask import current_app
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from konexi.models.base import UTCDateTime
from konexi.services.catalogue.postgis import outside_postgis

log = logging.getLogger("alembic.env")
config = context.config
db = current_app.extensions["migrate"].db
target_metadata = db.metadata


def render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our UTC column type as a plain timezone-aware DateTime in migration files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def migration_engine() -> Engine:
    """The app's database without the request-time bounds: a migration that rewrites a large
    table may run longer than DATABASE_STATEMENT_TIMEOUT and must not be cancelled half-way."""
    if db.engine.dialect.name != "postgresql":
        return db.engine
    return create_engine(db.engine.url, poolclass=NullPool, connect_args={"connect_timeout": 10})


def run_migrations_offline() -> None:
    context.configure(
        url=str(db.engine.url),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def skip_empty(
        context_: MigrationContext, revision: object, directives: list[MigrationScript]
    ) -> None:
        upgrade = directives[0].upgrade_ops
        if getattr(config.cmd_opts, "autogenerate", False) and upgrade and upgrade.is_empty():
            directives[:] = []
            log.info("no schema changes detected")

    with migration_engine().connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch migrations copy and drop tables; the app's foreign-key enforcement would
            # cascade those drops, so it is off while migrating (as Alembic recommends).
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            # SQLAlchemy 2 auto-begins a transaction on the PRAGMA; Alembic would then treat it
            # as the caller's and never commit, leaving alembic_version empty (the next upgrade
            # re-ran the initial migration). End it so Alembic owns and commits its own.
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            render_item=render_item,
            include_object=outside_postgis,
            process_revision_directives=skip_empty,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
