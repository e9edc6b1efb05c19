"""Is each dependency reachable? Used by /healthz and the platform's checks."""

from __future__ import annotations

import logging

from flask import Flask
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from konexi.extensions import db
from konexi.services.catalogue.postgis import nearby_path
from konexi.tasks.queue import redis_connection

log = logging.getLogger(__name__)


def check() -> dict[str, str]:
    """``{"status", "database", "redis", "nearby"}``: each dependency "ok" or "down" (Redis
    "inline" when jobs run in-process); status "ok", "degraded" while only Redis is down (pages,
    sign-up and claims still work: enqueueing and rate limits fall back), "down" when the
    database is. "nearby" says which search runs: "postgis", or "portable" (SQLite, or a
    PostgreSQL without the extension: slower far from towns, never an error)."""
    report = {"status": "ok", "database": "ok", "redis": "inline"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health: database down: %s", exc)
        db.session.rollback()
        report["database"] = "down"
    else:
        report["nearby"] = str(nearby_path(db.session))
    connection = redis_connection()
    if connection is not None:
        try:
            connection.probe()
            report["redis"] = "ok"
        except RedisError as exc:
            log.warning("health: redis down: %s", exc)
            report["redis"] = "down"
    if report["database"] == "down":
        report["status"] = "down"
    elif report["redis"] == "down":
        report["status"] = "degraded"
    return report


def announce_nearby_search(app: Flask) -> None:
    """Decide (and log, in one line) which nearby search this database runs, at start-up.

    Run in gunicorn's master before the fork: the connection it used is closed, so that no
    worker inherits its socket; the answer itself is inherited. An app without the database
    (the benchmark's bare "hello" app runs under the same gunicorn.conf.py) has nothing to say.
    """
    if "sqlalchemy" not in app.extensions:
        return
    with app.app_context():
        try:
            nearby_path(db.session)
        finally:
            db.session.remove()
            db.engine.dispose()
