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
from typing import Any
from urllib.parse import urlsplit

from redis import Redis

SSL_CERT_REQS_CHOICES = ("none", "required")
DEFAULT_SSL_CERT_REQS = "none"


def redis_options(url: str, ssl_cert_reqs: str) -> dict[str, str]:
    """What a Redis URL needs beyond itself: the certificate policy when it is ``rediss://``."""
    if urlsplit(url).scheme == "rediss":
        return {"ssl_cert_reqs": ssl_cert_reqs}
    return {}


def connect_redis(config: Mapping[str, Any], **options: Any) -> Redis:
    """A Redis client for the app's ``REDIS_URL`` with its certificate policy; ``options`` are
    redis-py's (timeouts)."""
    url = str(config["REDIS_URL"])
    policy = str(config["REDIS_SSL_CERT_REQS"])
    return Redis.from_url(url, **redis_options(url, policy), **options)


def describe_redis(url: str) -> str:
    """Where Redis is, without the password (for log lines)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path or ''}"


__all__ = [
    "DEFAULT_SSL_CERT_REQS",
    "SSL_CERT_REQS_CHOICES",
    "connect_redis",
    "describe_redis",
    "redis_options",
]
