"""Migrations as people run them: `flask --app wsgi db upgrade` (and `demo-data`) twice on the
same database is a no-op the second time, on SQLite and PostgreSQL; the models match them."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine, inspect, text

from konexi.config import ROOT
from konexi.extensions import db
from konexi.services.catalogue.postgis import outside_postgis
from tests.servers.postgres_server import PostgresServer
from tests.support.app import BACKENDS, flask_command


def head_revision() -> str:
    [head] = ScriptDirectory(str(ROOT / "migrations")).get_heads()
    return head


def schema_and_version(database_url: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Every table's columns, and the revisions alembic_version records."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            columns = [
                (table, column["name"])
                for table in sorted(inspector.get_table_names())
                for column in inspector.get_columns(table)
            ]
            versions = list(connection.scalars(text("SELECT version_num FROM alembic_version")))
    finally:
        engine.dispose()
    return columns, versions


def assert_upgrade_twice_is_a_no_op(database_url: str, *then: str) -> None:
    """`db upgrade` twice, each followed by the command ``then`` if given."""
    first = flask_command(database_url, "db", "upgrade")
    assert "Running upgrade" in first.stderr
    schema, versions = schema_and_version(database_url)
    assert versions == [head_revision()], "the upgrade did not record its revision"
    assert ("categories", "slug") in schema
    if then:
        flask_command(database_url, *then)

    second = flask_command(database_url, "db", "upgrade")
    assert "Running upgrade" not in second.stderr
    assert schema_and_version(database_url) == (schema, versions)
    if then:
        flask_command(database_url, *then)


@pytest.mark.skipif("postgres" not in BACKENDS, reason="PostgreSQL not selected")
def test_db_upgrade_twice_on_a_new_postgresql_database(postgres_server: PostgresServer) -> None:
    assert_upgrade_twice_is_a_no_op(postgres_server.create_database("konexi_migrate_twice"))


@pytest.mark.skipif("postgres" not in BACKENDS, reason="PostgreSQL not selected")
def test_migrations_are_not_cut_short_by_the_request_statement_timeout(
    postgres_server: PostgresServer,
) -> None:
    """Requests give up on a statement after DATABASE_STATEMENT_TIMEOUT; the release phase's
    migrations must not (a 1 ms limit would cancel the initial schema half-way)."""
    database_url = postgres_server.create_database("konexi_migrate_no_timeout")
    flask_command(database_url, "db", "upgrade", DATABASE_STATEMENT_TIMEOUT="0.001")
    assert schema_and_version(database_url)[1] == [head_revision()]


@pytest.mark.slow  # a real process for many seconds: `make test` runs it, not the quick loop
def test_make_run_twice_on_a_new_sqlite_file_migrates_once_and_loads_demo_data_once(
    tmp_path: Path,
) -> None:
    database_url = f"sqlite:///{tmp_path / 'konexi.sqlite3'}"
    # What `make run` does before serving, on every start: the second upgrade is a no-op.
    assert_upgrade_twice_is_a_no_op(database_url, "demo-data")
    engine = create_engine(database_url)
    with engine.connect() as connection:
        vouchers = connection.scalar(text("SELECT count(*) FROM vouchers"))
        categories = connection.scalar(text("SELECT count(*) FROM categories"))
        users = connection.scalar(
            text("SELECT count(*) FROM users WHERE email LIKE '%konexi.test'")
        )
    engine.dispose()
    assert (vouchers, categories, users) == (14, 5, 3)


def test_the_models_match_the_migrations(app: Flask) -> None:
    """`alembic check` in one assertion: a model change needs a new revision."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": outside_postgis}
        )
        assert compare_metadata(context, db.metadata) == []
