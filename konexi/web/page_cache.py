"""A micro-cache, per gunicorn worker, for the anonymous pages everybody sees alike.

The feed (``/`` and its htmx fragments), the public provider pages and the privacy notice cost
about 20 ms of CPU each (SQL and templates) and are the same for every anonymous visitor who
sends the same language, encoding and htmx headers. For ``PAGE_CACHE_SECONDS`` (production: 10,
development and testing: 0, i.e. off) the final response of such a page (compressed, with its
ETag, ``Cache-Control`` and every security header) is kept in this worker's memory and replayed
for the next anonymous request of the same variant, without rendering or compressing anything.

What is shared, and why it is safe:

- Only GET/HEAD requests with no ``Authorization`` and no cookie but the language cookie are
  looked up or stored (no session, no remember-me, no anonymous location, which lives in the
  session); only 200 responses of ``CACHED_ENDPOINTS`` that set no cookie, left the session
  empty (so no flash message) and are not ``private``/``no-store`` are kept.
- The voucher page (``vouchers.detail``) is NOT cached: views are counted (once per visitor a
  day) for the provider's statistics (``voucher_stats.record_view``), and a replay would lose
  those counts.
- The key is the URL (scheme, host, path, query string; the method is not part of it) plus the
  values of the request headers the responses name in ``Vary``, remembered per URL as a shared
  cache does (the union over the URL's variants): Accept-Encoding reduced to the encoding that
  would be chosen (br, gzip or none), Accept-Language reduced to the language that would be
  chosen, the language cookie for ``Cookie``, ``Save-Data`` and the htmx headers (which are
  always part of the key: a boosted request gets the page, a plain htmx request the fragment).
- Counts such as "12 left" may be up to ``PAGE_CACHE_SECONDS`` old on anonymous pages. That is
  accepted: a claim always checks the quota in the database, and signed-in pages are never
  cached.
- A client's ``Cache-Control: no-cache`` (every browser reload) is not honoured: the copy is at
  most a few seconds old, and honouring it would let any client switch the cache off.

When a copy expires, one request renders it again while the others arriving in the meantime
still get the expired copy (at most ``REFRESH_GRACE`` seconds more): a gunicorn worker's threads
do not all render the same page at once, each ten seconds.

With ``REDIS_URL`` (and ``PAGE_CACHE_SHARED``), a copy missing or expired here is looked up in
Redis first, and rendered at most once per expiry across every worker and dyno
(konexi/web/shared_pages.py). Such pages also tell caches downstream (a CDN, the router) that they
may share them: ``public, max-age=0, s-maxage=PAGE_CACHE_SECONDS,
stale-while-revalidate=PAGE_CACHE_STALE_SECONDS``, with the htmx headers the app reads in ``Vary``.

A hit answers 304 when ``If-None-Match`` matches the stored ETag, carries an ``Age`` header, and
still writes the request log line (marked ``cache=hit``); nothing else a request does (no
database, no rate limit on these pages) is skipped. The cache is bounded by
``PAGE_CACHE_ENTRIES`` (least recently used first out) and by ``MAX_TOTAL_BYTES``, and is
thread-safe (gunicorn's gthread workers).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, request, session
from redis.exceptions import RedisError
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import (
    parse_accept_header,
    parse_cookie,
    parse_etags,
    remove_entity_headers,
    unquote_etag,
)

from konexi.i18n import LANG_COOKIE, LANGUAGES
from konexi.web import conditional
from konexi.web.compression import ENCODINGS
from konexi.web.request_log import log_request

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from konexi.web.shared_pages import SharedCopy, SharedPages

log = logging.getLogger(__name__)

# The clock entries age by; tests replace it to move time without sleeping.
clock: Callable[[], float] = time.monotonic

CACHED_ENDPOINTS = frozenset({"feed.index", "providers.page", "pages.privacy"})
# The app reads these to choose page or fragment: always keyed, whatever the Vary says.
KEYED_HTMX_HEADERS = ("hx-request", "hx-boosted", "hx-history-restore-request", "hx-target")
ALLOWED_COOKIES = frozenset({LANG_COOKIE})
MAX_ENTRY_BYTES = 256 * 1024  # a bigger page is served but never kept
MAX_TOTAL_BYTES = 16 * 1024 * 1024  # per worker, whatever PAGE_CACHE_ENTRIES says
# While one thread re-renders an expired page, the others replay the expired copy this long at most.
REFRESH_GRACE = 5.0
ENVIRON_KEY = "konexi.web.page_cache"  # set by the app when the response may be shared
EXTENSION_KEY = "konexi_page_cache"

VaryKey = tuple[str, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class CachedPage:
    """One stored response: what the app answered, and what the request log needs on a hit."""

    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str | None
    stored_at: float
    endpoint: str
    rule: str


def _header(environ: WSGIEnvironment, name: str) -> str:
    return str(environ.get("HTTP_" + name.upper().replace("-", "_"), "")).strip()


def _cookies(environ: WSGIEnvironment) -> dict[str, str]:
    return dict(parse_cookie(environ.get("HTTP_COOKIE", "")))


def is_shareable_request(environ: WSGIEnvironment) -> bool:
    """True for a GET/HEAD with no credentials and no cookie but the language cookie."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return False
    if environ.get("HTTP_AUTHORIZATION"):
        return False
    return set(_cookies(environ)) <= ALLOWED_COOKIES


def page_url(environ: WSGIEnvironment) -> str:
    """The URL a page is stored under: scheme, host, path and query string (no method)."""
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}{path}?{query}"


def _encoding_bucket(environ: WSGIEnvironment) -> str:
    accepted = parse_accept_header(_header(environ, "Accept-Encoding"))
    return next((e for e in ENCODINGS if accepted.quality(e) > 0), "identity")


def _language_bucket(environ: WSGIEnvironment) -> str:
    accepted = parse_accept_header(_header(environ, "Accept-Language"), LanguageAccept)
    return accepted.best_match(list(LANGUAGES)) or "en"


def vary_value(environ: WSGIEnvironment, name: str) -> str:
    """What a request sends for one name of a response's Vary, reduced to what changes the page."""
    if name == "accept-encoding":
        return _encoding_bucket(environ)
    if name == "accept-language":
        return _language_bucket(environ)
    if name == "cookie":  # only the language cookie ever reaches the cache
        return _cookies(environ).get(LANG_COOKIE, "")
    return _header(environ, name)


def vary_names(headers: Iterable[tuple[str, str]]) -> tuple[str, ...] | None:
    """The lower-cased names a response varies on, plus the htmx headers; None for ``Vary: *``."""
    names: set[str] = set(KEYED_HTMX_HEADERS)
    for key, value in headers:
        if key.lower() == "vary":
            names.update(part.strip().lower() for part in value.split(",") if part.strip())
    if "*" in names:
        return None
    return tuple(sorted(names))


class PageCache:
    """Responses by URL and variant, least recently used first out, safe across threads."""

    def __init__(self, seconds: float, entries: int, max_bytes: int = MAX_TOTAL_BYTES) -> None:
        self.seconds = seconds
        self.entries = entries
        self.max_bytes = max_bytes
        self._pages: OrderedDict[VaryKey, CachedPage] = OrderedDict()
        self._names: OrderedDict[str, tuple[str, ...]] = OrderedDict()  # URL -> its Vary names
        self._bytes = 0
        # expired key -> when its re-render began, and the expired copy it replaces
        self._refreshing: dict[VaryKey, tuple[float, CachedPage]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def size_in_bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._names.clear()
            self._refreshing.clear()
            self._bytes = 0

    @staticmethod
    def _key(url: str, names: tuple[str, ...], environ: WSGIEnvironment) -> VaryKey:
        return (url, names, tuple(vary_value(environ, name) for name in names))

    def lookup(self, environ: WSGIEnvironment) -> tuple[CachedPage | None, VaryKey | None]:
        """The stored response for this request's URL and variant, if it may be replayed.

        A fresh copy is replayed. When the copy has expired, the first request to notice renders
        the page again (None, with the key it must hand to ``refreshed``), and the requests that
        arrive meanwhile still get the expired copy, for at most ``REFRESH_GRACE`` seconds: one
        render per expiry instead of one per waiting thread.
        """
        url = page_url(environ)
        with self._lock:
            names = self._names.get(url)
        if names is None:
            return None, None
        key = self._key(url, names, environ)
        now = clock()
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None, None
            if now - page.stored_at >= self.seconds:
                refresh = self._refreshing.get(key)
                if refresh is None or now - refresh[0] >= REFRESH_GRACE:
                    self._refreshing[key] = (now, page)
                    return None, key
            self._pages.move_to_end(key)
            return page, None

    def refreshed(self, key: VaryKey) -> None:
        """The request that re-rendered an expired copy is done: drop the copy if not replaced."""
        with self._lock:
            refresh = self._refreshing.pop(key, None)
            if refresh is not None and self._pages.get(key) is refresh[1]:
                self._drop(key)  # the page is no longer shareable (or failed): stop replaying it

    def store(
        self,
        environ: WSGIEnvironment,
        headers: list[tuple[str, str]],
        body: bytes,
        endpoint: str,
        rule: str,
        age: float = 0.0,
    ) -> bool:
        """Keep a 200 response for this request's URL and variant; False when it may not be kept.

        ``age``: how old the response already is (a copy another process rendered)."""
        names = vary_names(headers)
        if names is None or len(body) > MAX_ENTRY_BYTES:
            return False
        url = page_url(environ)
        with self._lock:
            # Variants of one URL may name different headers (a small fragment is not compressed,
            # so it does not vary on Accept-Encoding): key them all by every name seen so far.
            names = tuple(sorted(set(names) | set(self._names.get(url, ()))))
        key = self._key(url, names, environ)
        etag = next((value for name, value in headers if name.lower() == "etag"), None)
        page = CachedPage(tuple(headers), body, etag, clock() - age, endpoint, rule)
        with self._lock:
            self._drop(key)
            self._names[url] = names
            self._names.move_to_end(url)
            self._pages[key] = page
            self._bytes += len(body)
            while len(self._pages) > self.entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._pages)))
            while len(self._names) > self.entries:
                self._names.popitem(last=False)
        return True

    def names_of(self, environ: WSGIEnvironment) -> tuple[str, ...]:
        """The Vary names seen so far for this request's URL in this worker."""
        with self._lock:
            return self._names.get(page_url(environ), ())

    def _drop(self, key: VaryKey) -> None:
        page = self._pages.pop(key, None)
        if page is not None:
            self._bytes -= len(page.body)


def _log_hit(environ: WSGIEnvironment, page: CachedPage, status: int, started: float) -> None:
    """The request log line a hit still owes (the same line as the app's, marked as a hit)."""
    log_request(
        environ.get("REQUEST_METHOD"),
        page.endpoint,
        page.rule,
        status,
        (time.perf_counter() - started) * 1000,
        environ.get("REMOTE_ADDR"),
        environ.get("HTTP_USER_AGENT"),
        cache_hit=True,
    )


def _not_modified(environ: WSGIEnvironment, page: CachedPage) -> bool:
    asked = environ.get("HTTP_IF_NONE_MATCH")
    if not asked or not page.etag:
        return False
    etag, _weak = unquote_etag(page.etag)
    return bool(etag) and parse_etags(asked).contains_weak(etag)


class PageCacheMiddleware:
    """WSGI middleware: replays stored pages, and stores the ones the app marked as shareable."""

    def __init__(
        self, app: WSGIApplication, cache: PageCache, shared: SharedPages | None = None
    ) -> None:
        self.app = app
        self.cache = cache
        self.shared = shared

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not is_shareable_request(environ):
            return self.app(environ, start_response)
        started = time.perf_counter()
        page, refreshing = self.cache.lookup(environ)
        if page is not None:
            return self._replay(environ, start_response, page, started)
        try:
            if self.shared is not None:
                return self._through_shared(environ, start_response, self.shared, started)
            return self._fill(environ, start_response)
        finally:
            if refreshing is not None:
                self.cache.refreshed(refreshing)

    def _through_shared(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        shared: SharedPages,
        started: float,
    ) -> Iterable[bytes]:
        """Replay the copy another process rendered, or render it once for all of them."""
        try:
            copy = shared.find(environ)
            if copy is not None and shared.is_fresh(copy):
                return self._replay_shared(environ, start_response, copy, started)
            lock_key = shared.lock_key(environ)
            token = shared.try_lock(lock_key)
            if token is None:  # another process renders this variant right now
                copy = copy or shared.wait_for_copy(environ)
        except RedisError:
            log.warning(
                "shared page cache unreachable: rendering %s here", environ.get("PATH_INFO")
            )
            return self._fill(environ, start_response)
        if token is None:
            if copy is not None:  # stale-while-revalidate: the expired copy, while one renders
                return self._replay(environ, start_response, copy.page, started, copy.age)
            return self._fill(environ, start_response, shared)  # the renderer is too slow
        try:
            return self._fill(environ, start_response, shared)
        finally:
            try:
                shared.unlock(lock_key, token)
            except RedisError:
                pass  # the lock expires by itself within RENDER_LOCK_SECONDS

    def _replay_shared(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        copy: SharedCopy,
        started: float,
    ) -> Iterable[bytes]:
        """Replay a fresh shared copy, and keep it in this worker for the rest of its life."""
        page = copy.page
        headers = list(page.headers)
        self.cache.store(environ, headers, page.body, page.endpoint, page.rule, age=copy.age)
        return self._replay(environ, start_response, page, started, copy.age)

    def _replay(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        page: CachedPage,
        started: float,
        age: float | None = None,
    ) -> Iterable[bytes]:
        if age is None:
            age = clock() - page.stored_at
        headers = [*page.headers, ("Age", str(max(0, int(age))))]
        if _not_modified(environ, page):
            remove_entity_headers(headers)  # as werkzeug does for the app's own 304
            start_response("304 NOT MODIFIED", headers)
            _log_hit(environ, page, 304, started)
            return []
        start_response("200 OK", headers)
        _log_hit(environ, page, 200, started)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [page.body]

    def _fill(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        shared: SharedPages | None = None,
    ) -> Iterable[bytes]:
        """Render the page; keep it here (and in Redis when ``shared``) when the app allows."""
        environ[ENVIRON_KEY] = None
        answered: dict[str, Any] = {}

        def remember_start(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            answered.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        app_iter = self.app(environ, remember_start)
        marked = environ.get(ENVIRON_KEY)
        headers: list[tuple[str, str]] = answered.get("headers", [])
        if (
            marked is None
            or environ.get("REQUEST_METHOD") != "GET"  # a HEAD answer has no body to keep
            or not str(answered.get("status", "")).startswith("200")
            or any(name.lower() == "set-cookie" for name, _value in headers)
        ):
            return app_iter
        try:
            body = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        self.cache.store(environ, list(headers), body, *marked)
        if shared is not None:
            try:
                shared.store(
                    environ,
                    (list(headers), body),
                    marked=marked,
                    known_names=self.cache.names_of(environ),
                )
            except RedisError:
                log.warning("shared page cache unreachable: %s kept in this worker only", marked[0])
        return [body]


def shared_cache_control(seconds: int, stale_seconds: int) -> str:
    """What a CDN or router cache may do with an anonymous page: keep it ``seconds``, then serve
    it ``stale_seconds`` more while it fetches a new one; browsers still revalidate each time."""
    return f"public, max-age=0, s-maxage={seconds}, stale-while-revalidate={stale_seconds}"


def _say_shareable(response: Response) -> None:
    """Cache-Control and Vary for a page every anonymous visitor may be given (200 or 304)."""
    config = current_app.config
    response.headers["Cache-Control"] = shared_cache_control(
        int(config["PAGE_CACHE_SECONDS"]), int(config["PAGE_CACHE_STALE_SECONDS"])
    )
    if "HX-Request" in response.vary:
        # htmx.wants_fragment reads these too: a boosted link gets the page, not the fragment.
        response.vary.update(("HX-Boosted", "HX-History-Restore-Request"))


def _mark_shareable(response: Response) -> Response:
    """Tell the middleware this anonymous 200 may be replayed to other anonymous visitors, and
    tell caches downstream the same."""
    if ENVIRON_KEY not in request.environ or request.method not in ("GET", "HEAD"):
        return response
    if request.endpoint not in CACHED_ENDPOINTS or response.status_code not in (200, 304):
        return response
    if session or session.modified:  # a signed-in user, a flash, a location, a CSRF secret
        return response
    # conditional.py said "public": no cookie set, nothing personal (a view's own choice stays)
    if response.headers.get("Cache-Control") != conditional.PUBLIC:
        return response
    if response.is_streamed or response.direct_passthrough:
        return response
    _say_shareable(response)
    if response.status_code != 200 or request.method != "GET":
        return response
    rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    request.environ[ENVIRON_KEY] = (request.endpoint, rule)
    return response


def page_cache_of(app: Flask) -> PageCache | None:
    """The app's page cache, or None when ``PAGE_CACHE_SECONDS`` is 0."""
    cache = app.extensions.get(EXTENSION_KEY)
    return cache if isinstance(cache, PageCache) else None


def init_app(app: Flask, shared: SharedPages | None = None) -> None:
    """Wrap the app in the page cache when ``PAGE_CACHE_SECONDS`` > 0 (register it last);
    ``shared``: the copies every process shares (konexi/web/shared_pages.py), if any."""
    seconds = int(app.config["PAGE_CACHE_SECONDS"])
    entries = int(app.config["PAGE_CACHE_ENTRIES"])
    if seconds <= 0 or entries <= 0:
        return
    cache = PageCache(seconds, entries)
    app.extensions[EXTENSION_KEY] = cache
    # First in the list, so Flask (which runs the hooks in reverse) runs it after all the others.
    app.after_request_funcs.setdefault(None, []).insert(0, _mark_shareable)
    # The proxy fix and the HTTPS redirect wrap this later (konexi/web/proxies.py): a hit's log line
    # gets the client's address, and nothing is replayed over plain HTTP in production.
    app.wsgi_app = PageCacheMiddleware(app.wsgi_app, cache, shared)


__all__ = [
    "CACHED_ENDPOINTS",
    "CachedPage",
    "PageCache",
    "PageCacheMiddleware",
    "init_app",
    "is_shareable_request",
    "page_cache_of",
    "page_url",
    "vary_names",
    "vary_value",
]
