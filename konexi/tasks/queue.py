"""Background jobs: RQ on Redis when REDIS_URL is set, otherwise run in-process at once.

Jobs take ids, never personal data, so a failed job kept in Redis holds nothing about a person.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.types import FunctionReferenceType
from rq.utils import import_attribute

from konexi.redis_client import PausingRedis, shared_pool

log = logging.getLogger(__name__)

QUEUE_NAMES = ("sms", "email", "default", "periodic")
# Kept well below PURGE_GRACE_DAYS so no job record outlives the data it refers to.
RESULT_TTL = 24 * 3600
FAILURE_TTL = 7 * 24 * 3600


def redis_connection(app: Flask | None = None) -> PausingRedis | None:
    """The shared Redis connection, or None when jobs run in-process."""
    app = app or current_app
    return app.extensions.get("konexi_redis")


def get_queue(name: str, app: Flask | None = None) -> Queue:
    connection = redis_connection(app)
    if connection is None:
        raise RuntimeError("REDIS_URL is not set: jobs run in-process")
    return Queue(name, connection=connection)


def enqueue(
    func: FunctionReferenceType,
    *args: Any,
    queue_name: str = "default",
    retry: Retry | None = None,
    job_id: str | None = None,
) -> bool:
    """Run ``func(*args)`` in the background; in-process when there is no Redis.

    ``func`` may be a dotted path ("konexi.messaging.jobs.deliver_message"), as RQ stores it: the
    caller then needs no import of the job's module (which would import the caller back).

    Returns False (and logs) when Redis is unreachable: the caller's data is already committed
    and the periodic sweeper picks the work up later, so the request still succeeds.
    """
    connection = redis_connection()
    if connection is None:
        (import_attribute(func) if isinstance(func, str) else func)(*args)
        return True
    try:
        Queue(queue_name, connection=connection).enqueue(
            func,
            *args,
            retry=retry,
            job_id=job_id,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
        )
    except RedisError:
        log.exception(
            "could not enqueue %s on %s; the sweeper will retry",
            func.rpartition(".")[2] if isinstance(func, str) else func.__name__,
            queue_name,
        )
        return False
    return True


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if url:
        # REDIS_SOCKET_TIMEOUT / REDIS_SOCKET_CONNECT_TIMEOUT: a hung Redis costs a request
        # that enqueues a job about a second, not five.
        app.extensions["konexi_redis"] = PausingRedis(connection_pool=shared_pool(app))
