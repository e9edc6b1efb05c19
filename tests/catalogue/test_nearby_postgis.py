"""Which nearby search runs: PostGIS's KNN on PostgreSQL with the extension, the portable
latitude-band search on SQLite and on a PostgreSQL without it (migrated all the same, never a
500, and said once in the log and in /healthz)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import create_engine, inspect, text

from konexi import create_app
from konexi.extensions import db
from konexi.models import Category
from konexi.services.catalogue.geo import Point
from konexi.services.catalogue.nearby import nearest_live_vouchers
from konexi.services.catalogue.postgis import NearbyPath, nearby_path
from konexi.web.health import announce_nearby_search
from tests.servers.fake_twilio import FakeTwilio
from tests.servers.postgres_server import PostgresServer
from tests.servers.smtp_server import SmtpServer
from tests.support.app import BACKENDS, base_environ, migrate
from tests.support.catalogue import MONAS, Shop, count_queries, titles

JAKARTA = Point(*MONAS)


def _three_vouchers(shop: Shop, food: Category) -> None:
    """Three vouchers east of Monas at 5, 0.5 and 50 km (as the crow flies)."""
    company = shop.company()
    for title, east in [("Five", 0.045), ("Half", 0.0045), ("Fifty", 0.45)]:
        branch = shop.branch(company, JAKARTA.latitude, JAKARTA.longitude + east)
        shop.voucher(company, food, title, branches=[branch])


def test_postgresql_ranks_by_knn_on_postgis_and_sqlite_by_latitude_bands(
    app: Flask, shop: Shop, food: Category
) -> None:
    _three_vouchers(shop, food)
    path = nearby_path(db.session)  # decided once per database; not part of the search below
    with count_queries() as statements:
        listing = nearest_live_vouchers(JAKARTA)
    assert titles(listing) == ["Half", "Five", "Fifty"]
    assert [round(item.distance_km, 1) for item in listing.items] == [0.5, 5.0, 49.7]
    knn = any("<->" in statement for statement in statements)
    if db.engine.dialect.name == "postgresql":
        assert path is NearbyPath.POSTGIS and knn, statements
        assert app.test_client().get("/healthz").get_json()["nearby"] == "postgis"
    else:
        assert path is NearbyPath.PORTABLE and not knn
        assert app.test_client().get("/healthz").get_json()["nearby"] == "portable"


def test_postgis_follows_a_moved_branch_at_once(shop: Shop, food: Category) -> None:
    """The geography column is generated from latitude/longitude: no code keeps it in step."""
    _three_vouchers(shop, food)
    far = shop.branch(shop.company("Jauh"), -1.5, 113.9)
    shop.voucher(far.company, food, "Moved", branches=[far])
    far.latitude, far.longitude = JAKARTA.latitude, JAKARTA.longitude + 0.0009
    db.session.commit()
    assert titles(nearest_live_vouchers(JAKARTA))[:2] == ["Moved", "Half"]


# -- a PostgreSQL where the extension cannot be created ---------------------------------------
@pytest.fixture
def database_without_postgis(
    postgres_server: PostgresServer, smtp_server: SmtpServer, fake_twilio: FakeTwilio
) -> Iterator[str]:
    """A database owned by a role that may not create PostGIS (not a superuser), migrated."""
    admin = create_engine(postgres_server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT count(*) FROM pg_roles WHERE rolname = 'plain'")):
            connection.execute(text("CREATE ROLE plain LOGIN NOSUPERUSER"))
        connection.execute(text("DROP DATABASE IF EXISTS konexi_no_postgis"))
        connection.execute(text("CREATE DATABASE konexi_no_postgis OWNER plain"))
    admin.dispose()
    url = f"postgresql+psycopg://plain@127.0.0.1:{postgres_server.port}/konexi_no_postgis"
    migrate(url, smtp_server, fake_twilio)
    yield url


@pytest.mark.skipif("postgres" not in BACKENDS, reason="PostgreSQL not selected")
def test_without_postgis_the_migration_skips_and_nearby_stays_portable(
    database_without_postgis: str,
    smtp_server: SmtpServer,
    fake_twilio: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = create_engine(database_without_postgis)
    with engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("branches")}
        extensions = connection.scalar(text("SELECT count(*) FROM pg_extension"))
    engine.dispose()
    assert "location" not in columns and "latitude" in columns
    assert extensions == 1  # plpgsql only

    app = create_app(base_environ(database_without_postgis, smtp_server, fake_twilio))
    with caplog.at_level(logging.INFO, logger="konexi.services.catalogue.postgis"):
        announce_nearby_search(app)  # what gunicorn's master does at start-up
    said = [r for r in caplog.records if r.name == "konexi.services.catalogue.postgis"]
    assert len(said) == 1 and "PostGIS is not enabled" in said[0].getMessage()

    health = app.test_client().get("/healthz")
    assert health.status_code == 200 and health.get_json()["nearby"] == "portable"
    with app.app_context():
        shop = Shop()
        food = shop.category("food", "Food", "Makanan")
        _three_vouchers(shop, food)
        with count_queries() as statements:
            assert titles(nearest_live_vouchers(JAKARTA)) == ["Half", "Five", "Fifty"]
        assert not any("<->" in statement for statement in statements)
        page = app.test_client().get(f"/?lat={JAKARTA.latitude}&lon={JAKARTA.longitude}")
        assert page.status_code == 200 and "Half" in page.get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()
