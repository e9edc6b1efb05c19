"""The nearby search is chosen the same for a session bound to a Connection (as a test's or a
script's transaction is) as for the app's session: on PostgreSQL the cache key is the engine's
URL, which a Connection does not carry itself."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from konexi.extensions import db
from konexi.services.catalogue.postgis import nearby_path


def test_a_session_bound_to_a_connection_gets_the_same_search(app: Flask) -> None:
    expected = nearby_path(db.session)
    with db.engine.connect() as connection, Session(bind=connection) as session:
        assert nearby_path(session) is expected
