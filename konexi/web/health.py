"""Is each dependency reachable? Used by /healthz and the platform's checks."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from konexi.extensions import db
from konexi.tasks.queue import redis_connection

log = logging.getLogger(__name__)


def check() -> dict[str, str]:
    """``{"status", "database", "redis"}``: each dependency "ok" or "down" (Redis "inline" when
    jobs run in-process); status "ok", "degraded" while only Redis is down (pages, sign-up and
    claims still work: enqueueing and rate limits fall back), "down" when the database is."""
    report = {"status": "ok", "database": "ok", "redis": "inline"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health: database down: %s", exc)
        db.session.rollback()
        report["database"] = "down"
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
