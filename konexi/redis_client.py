"""Every Redis connection Konexi makes (queue, worker, cron, rate limits, SMS caps, /healthz) gets
its options here, from the settings, so a ``rediss://`` URL behaves the same everywhere.

Heroku's Redis add-on hands out ``rediss://`` URLs whose server certificate is self-signed: it
cannot be verified against any CA, and the add-on owns ``REDIS_URL``. ``REDIS_SSL_CERT_REQS``
names the policy: ``none`` (the default: encrypted, certificate not checked) or ``required``
(checked against the system's CAs, plus ``SSL_CERT_FILE`` if set). A plain ``redis://`` URL
takes no TLS options at all (redis-py refuses them).
"""

from __future__ import annotations

from collections.abc import Mapping
from time import monotonic
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from redis import ConnectionPool, Redis
from redis.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

SSL_CERT_REQS_CHOICES = ("none", "required")
DEFAULT_SSL_CERT_REQS = "none"


def redis_options(url: str, ssl_cert_reqs: str) -> dict[str, str]:
    """What a Redis URL needs beyond itself: the certificate policy when it is ``rediss://``."""
    if urlsplit(url).scheme == "rediss":
        return {"ssl_cert_reqs": ssl_cert_reqs}
    return {}


def redis_timeouts(config: Mapping[str, Any]) -> dict[str, float]:
    """The socket timeouts every Redis client of the app is built with."""
    return {
        "socket_timeout": float(config["REDIS_SOCKET_TIMEOUT"]),
        "socket_connect_timeout": float(config["REDIS_SOCKET_CONNECT_TIMEOUT"]),
    }


class PausingRedis(Redis):
    """The web app's Redis client: once a command cannot reach Redis (refused, or a hung server's
    socket timeout), every command fails at once for ``pause_seconds`` instead of each waiting
    for its own timeout. Callers already treat RedisError as "Redis is away" (the outbox waits
    for the sweeper, view marks and counters stay in-process), so a hung Redis costs one request
    a timeout, not every Redis call of every request."""

    pause_seconds = 15.0
    _paused_until = 0.0

    def _refuse_while_paused(self) -> None:
        if monotonic() < self._paused_until:
            raise RedisConnectionError("Redis did not answer a moment ago; not asking again yet")

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self._refuse_while_paused()
        try:
            return super().execute_command(*args, **options)
        except (RedisConnectionError, RedisTimeoutError):
            self._paused_until = monotonic() + self.pause_seconds
            raise

    def probe(self) -> None:
        """PING even while paused (the health check); an answer ends the pause."""
        super().execute_command("PING")
        self._paused_until = 0.0

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline:
        self._refuse_while_paused()
        return super().pipeline(transaction=transaction, shard_hint=shard_hint)


def connect_redis(
    config: Mapping[str, Any], client_class: type[Redis] = Redis, **options: Any
) -> Redis:
    """A Redis client for the app's ``REDIS_URL`` with its certificate policy; ``options`` are
    redis-py's (timeouts)."""
    url = str(config["REDIS_URL"])
    policy = str(config["REDIS_SSL_CERT_REQS"])
    return client_class.from_url(url, **redis_options(url, policy), **options)


POOL_EXTENSION = "konexi_redis_pool"


def shared_pool(app: Flask) -> ConnectionPool | None:
    """The one Redis connection pool of this app in this process, or None without REDIS_URL.

    The queue and page-cache client, Flask-Limiter's storage and the SMS counters all draw on it:
    a request uses them one after another, so a process holds about one connection per thread
    instead of one per thread for each of them (what a small Redis plan's client limit counts).
    """
    pool = app.extensions.get(POOL_EXTENSION)
    if pool is None and app.config.get("REDIS_URL"):
        url = str(app.config["REDIS_URL"])
        pool = ConnectionPool.from_url(
            url,
            **redis_options(url, str(app.config["REDIS_SSL_CERT_REQS"])),
            **redis_timeouts(app.config),
            health_check_interval=30,
        )
        app.extensions[POOL_EXTENSION] = pool
    return pool


def describe_redis(url: str) -> str:
    """Where Redis is, without the password (for log lines)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path or ''}"


__all__ = [
    "PausingRedis",
    "DEFAULT_SSL_CERT_REQS",
    "SSL_CERT_REQS_CHOICES",
    "connect_redis",
    "describe_redis",
    "redis_options",
    "redis_timeouts",
    "shared_pool",
]
