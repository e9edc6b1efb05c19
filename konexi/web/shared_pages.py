"""The page cache's copy shared by every gunicorn worker and dyno, in Redis.

Each worker keeps its own copies (konexi/web/page_cache.py); without this layer N dynos x 2
workers render each anonymous page 2N times per expiry and show counts that differ between
workers. Here a rendered page is also written to Redis, under the same key the worker uses (URL
plus the values of the request headers the response names in ``Vary``, hashed), with its
wall-clock birth time, so that any worker may replay it with the right ``Age``.

One render per expiry across all processes: the request that finds the shared copy stale or
missing takes a short Redis lock (``SET NX PX``, ``RENDER_LOCK_SECONDS``) on the variant and
renders; the others replay the stale copy (kept ``PAGE_CACHE_STALE_SECONDS`` past expiry) or,
when there is none yet, wait up to ``WAIT_FOR_RENDER`` seconds for the renderer and then render
themselves. Any Redis error means "render locally": the page is served, never a 500, and the
app's client (konexi/redis_client.py) stops asking a Redis that did not answer for a while, so a
hung Redis costs one request a socket timeout, not every request.

A thin layer of our own rather than Flask-Caching's Redis backend: that backend pickles values
(a Redis that anyone else can write to would run code in the app) and has no lock; all we need
is two GETs, one pipelined SET and a lock.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask
from redis import Redis

from konexi.web.page_cache import (
    KEYED_HTMX_HEADERS,
    CachedPage,
    page_url,
    vary_names,
    vary_value,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

# Wall clock: copies are shared between machines, so their age cannot be a monotonic reading.
wall_clock: Callable[[], float] = time.time

PREFIX = "konexi:page:"
RENDER_LOCK_SECONDS = 5.0  # a render that takes longer lets a second one start
WAIT_FOR_RENDER = 0.5  # how long a request with no copy at all waits for another's render
POLL_INTERVAL = 0.02
NAMES_TTL_SECONDS = 24 * 3600  # which headers a URL varies on changes only with a deploy
# Every request header that may change an anonymous page: the lock is per value of all of them,
# known before the response names its Vary (a finer lock only costs an extra render, never a
# wrong page).
LOCK_HEADERS = (*KEYED_HTMX_HEADERS, "accept-encoding", "accept-language", "cookie", "save-data")

# Release the lock only when it is still ours (it may have expired and been taken by another).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class SharedCopy:
    """A page read from Redis, with its redis key and how old it is (seconds)."""

    page: CachedPage
    key: str
    age: float


class SharedPages:
    """Pages in Redis for ``seconds``, kept ``stale_seconds`` longer for stale-while-revalidate."""

    def __init__(self, redis: Redis, seconds: float, stale_seconds: float) -> None:
        self.redis = redis
        self.seconds = seconds
        self.stale_seconds = stale_seconds

    @staticmethod
    def _names_key(url: str) -> str:
        return f"{PREFIX}vary:{_digest(url)}"

    @staticmethod
    def _page_key(url: str, names: tuple[str, ...], environ: WSGIEnvironment) -> str:
        values = tuple(vary_value(environ, name) for name in names)
        return f"{PREFIX}copy:{_digest(url, names, values)}"

    def find(self, environ: WSGIEnvironment) -> SharedCopy | None:
        """The shared copy of this request's variant, fresh or stale; None when there is none.

        Raises RedisError when Redis is away (the caller renders locally)."""
        url = page_url(environ)
        stored_names = self.redis.get(self._names_key(url))
        if stored_names is None:
            return None
        names = tuple(json.loads(stored_names))
        key = self._page_key(url, names, environ)
        raw = self.redis.get(key)
        # The app's client is RQ's, which never decodes replies to str: anything else is no copy.
        if not isinstance(raw, bytes):
            return None
        meta, _newline, body = raw.partition(b"\n")
        fields = json.loads(meta)
        page = CachedPage(
            headers=tuple((str(name), str(value)) for name, value in fields["headers"]),
            body=body,
            etag=fields["etag"],
            stored_at=float(fields["born"]),
            endpoint=str(fields["endpoint"]),
            rule=str(fields["rule"]),
        )
        return SharedCopy(page, key, max(0.0, wall_clock() - page.stored_at))

    def is_fresh(self, copy: SharedCopy) -> bool:
        return copy.age < self.seconds

    def store(
        self,
        environ: WSGIEnvironment,
        rendered: tuple[list[tuple[str, str]], bytes],
        *,
        marked: tuple[str, str],
        known_names: tuple[str, ...] = (),
    ) -> None:
        """Write a rendered page (headers, body) for every process; ``marked``: its endpoint and
        rule. Raises RedisError when Redis is away."""
        headers, body = rendered
        endpoint, rule = marked
        names = vary_names(headers)
        if names is None:
            return
        names = tuple(sorted(set(names) | set(known_names)))
        url = page_url(environ)
        etag = next((value for name, value in headers if name.lower() == "etag"), None)
        meta = {
            "headers": headers,
            "etag": etag,
            "born": wall_clock(),
            "endpoint": endpoint,
            "rule": rule,
        }
        value = json.dumps(meta).encode() + b"\n" + body  # json.dumps never writes a newline
        keep_ms = int((self.seconds + self.stale_seconds) * 1000)
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self._names_key(url), json.dumps(names), ex=NAMES_TTL_SECONDS)
        pipe.set(self._page_key(url, names, environ), value, px=keep_ms)
        pipe.execute()

    def lock_key(self, environ: WSGIEnvironment) -> str:
        values = tuple(vary_value(environ, name) for name in LOCK_HEADERS)
        return f"{PREFIX}render:{_digest(page_url(environ), values)}"

    def try_lock(self, lock_key: str) -> str | None:
        """A token when this process may render the variant now; None when another is on it."""
        token = secrets.token_hex(8)
        taken = self.redis.set(lock_key, token, nx=True, px=int(RENDER_LOCK_SECONDS * 1000))
        return token if taken else None

    def unlock(self, lock_key: str, token: str) -> None:
        self.redis.eval(_RELEASE, 1, lock_key, token)

    def wait_for_copy(self, environ: WSGIEnvironment) -> SharedCopy | None:
        """The copy another process is rendering, if it lands within ``WAIT_FOR_RENDER``."""
        deadline = time.monotonic() + WAIT_FOR_RENDER
        while time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL)
            copy = self.find(environ)
            if copy is not None:
                return copy
        return None


def shared_pages_for(app: Flask) -> SharedPages | None:
    """The copies shared through Redis: None without ``REDIS_URL`` or with ``PAGE_CACHE_SHARED``
    off."""
    redis = app.extensions.get("konexi_redis")  # set by konexi/tasks/queue.py from REDIS_URL
    if redis is None or not app.config["PAGE_CACHE_SHARED"]:
        return None
    seconds = int(app.config["PAGE_CACHE_SECONDS"])
    return SharedPages(redis, seconds, int(app.config["PAGE_CACHE_STALE_SECONDS"]))


__all__ = [
    "shared_pages_for",
    "SharedCopy",
    "SharedPages",
    "RENDER_LOCK_SECONDS",
    "WAIT_FOR_RENDER",
]
