"""The anonymous-page micro-cache: copies shared by anonymous visitors only, per variant."""

from __future__ import annotations

import gzip
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder

from konexi.config import load_settings
from konexi.extensions import db
from konexi.models import User
from konexi.services.images import store_image
from konexi.web import page_cache
from tests.support.auth import log_in
from tests.support.catalogue import count_queries
from tests.support.console import photo_bytes
from tests.support.factories import make_voucher

BROWSER = {"Accept-Encoding": "gzip, br", "Accept-Language": "en"}


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(page_cache, "clock", fake)
    return fake


@pytest.fixture
def cached_app(app_factory: Callable[..., Flask], clock: Clock) -> Iterator[Flask]:
    app = app_factory(PAGE_CACHE_SECONDS="10")
    with app.app_context():
        yield app
        db.session.remove()


def _cache(app: Flask) -> page_cache.PageCache:
    cache = page_cache.page_cache_of(app)
    assert cache is not None
    return cache


def _get(client: FlaskClient, url: str = "/", **headers: str):
    """GET ``url`` and the SQL statements it ran."""
    with count_queries() as statements:
        response = client.get(url, headers={**BROWSER, **headers})
    return response, statements


def _html(response) -> str:
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        body = brotli.decompress(body)
    elif encoding == "gzip":
        body = gzip.decompress(body)
    return body.decode()


def test_the_second_anonymous_visit_is_served_from_the_cache_without_sql(cached_app):
    voucher = make_voucher(title="Es kopi susu gula aren")
    client = cached_app.test_client()

    first, first_sql = _get(client)
    second, second_sql = _get(client)

    assert first.status_code == second.status_code == 200
    assert first_sql and "Age" not in first.headers
    assert second_sql == []  # no database, so no rendering either
    assert second.headers["Age"] == "0"
    assert second.get_data() == first.get_data()
    assert voucher.title in _html(second)
    for header in ("ETag", "Cache-Control", "Vary", "Content-Encoding", "Content-Security-Policy"):
        assert second.headers[header] == first.headers[header]
    assert "Set-Cookie" not in second.headers
    # a browser's reload (Cache-Control: no-cache) still gets the copy: it is seconds old at most
    _reload, statements = _get(client, **{"Cache-Control": "no-cache", "Pragma": "no-cache"})
    assert statements == []


def test_each_encoding_language_save_data_and_htmx_variant_gets_its_own_copy(cached_app):
    voucher = make_voucher(title="Nasi goreng hemat")
    image = store_image(voucher.company.id, photo_bytes((800, 600), orientation=None, gps=False))
    voucher.image_id = image.id
    db.session.commit()
    client = cached_app.test_client()
    variants = {
        "br": {"Accept-Encoding": "br"},
        "gzip": {"Accept-Encoding": "gzip"},
        "identity": {"Accept-Encoding": "identity"},
        "indonesian": {"Accept-Language": "id-ID,id;q=0.9"},
        "save-data": {"Save-Data": "on"},
        "fragment": {"HX-Request": "true"},
    }
    misses = {name: _get(client, **headers)[0] for name, headers in variants.items()}
    hits = {name: _get(client, **headers) for name, headers in variants.items()}

    for name, (hit, statements) in hits.items():
        assert statements == [], name
        assert "Age" in hit.headers, name
        assert hit.get_data() == misses[name].get_data(), name
    html = {name: _html(hit) for name, (hit, _sql) in hits.items()}
    assert hits["br"][0].headers["Content-Encoding"] == "br"
    assert hits["gzip"][0].headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in hits["identity"][0].headers
    assert html["br"] == html["gzip"] == html["identity"]  # the same page in three encodings
    assert 'lang="id"' in html["indonesian"] and 'lang="en"' in html["br"]
    assert "<img" in html["br"] and "<img" not in html["save-data"]
    assert "<html" in html["br"] and "<html" not in html["fragment"]
    assert voucher.title in html["fragment"]
    # A browser whose Accept-Language differs in form but picks the same language shares a copy.
    _hit, statements = _get(client, **{"Accept-Language": "id"})
    assert statements == []


def test_a_signed_in_user_never_gets_the_anonymous_copy_nor_fills_the_cache(
    cached_app, create_user: Callable[..., User]
):
    make_voucher()
    user = create_user(name="Dewi Lestari")
    anonymous = cached_app.test_client()
    _get(anonymous)
    assert len(_cache(cached_app)) == 1

    shared = _get(anonymous)[0]
    assert "Age" in shared.headers

    signed_in = cached_app.test_client()
    log_in(signed_in, user)
    for _ in range(2):
        response, _sql = _get(signed_in)
        assert "Age" not in response.headers
        assert response.headers["Cache-Control"] == "private, no-cache"
        assert "Dewi Lestari" in _html(response)
        assert response.get_data() != shared.get_data()
    assert len(_cache(cached_app)) == 1


def test_an_anonymous_location_choice_bypasses_the_shared_copy(cached_app):
    make_voucher()
    client = cached_app.test_client()
    _get(client)
    client.post("/location", data={"place": "bandung"})  # kept in the session cookie
    assert client.get_cookie("session") is not None

    response, statements = _get(client)
    assert statements and "Age" not in response.headers


def test_a_response_that_sets_a_cookie_is_not_stored(cached_app):
    make_voucher()
    client = cached_app.test_client()
    response, _sql = _get(client, "/?lang=id")
    assert "lang=id" in response.headers["Set-Cookie"]
    assert len(_cache(cached_app)) == 0

    # the language cookie alone still shares the Indonesian copy with others who chose it
    first, _sql = _get(client)
    second, statements = _get(client)
    assert statements == [] and 'lang="id"' in _html(second)
    assert "Age" not in first.headers and "Age" in second.headers


def test_a_copy_expires_after_page_cache_seconds(cached_app, clock: Clock):
    make_voucher()
    client = cached_app.test_client()
    _get(client)

    clock.now += 9.5
    hit, statements = _get(client)
    assert statements == [] and hit.headers["Age"] == "9"

    clock.now += 0.5
    fresh, statements = _get(client)
    assert statements and "Age" not in fresh.headers


def test_one_request_re_renders_an_expired_copy_while_the_others_still_get_it(clock: Clock):
    cache = page_cache.PageCache(seconds=10, entries=8)
    environ = EnvironBuilder("/", headers=BROWSER).get_environ()
    headers = [("Content-Type", "text/html"), ("Vary", "Accept-Encoding"), ("ETag", '"v1"')]
    cache.store(environ, headers, b"version 1", "feed.index", "/")
    clock.now += 10

    page, refreshing = cache.lookup(environ)  # the first to notice renders it again
    assert page is None and refreshing is not None
    stale, other = cache.lookup(environ)  # meanwhile, the others get the expired copy
    assert stale is not None and stale.body == b"version 1" and other is None
    cache.store(environ, [*headers[:2], ("ETag", '"v2"')], b"version 2", "feed.index", "/")
    cache.refreshed(refreshing)
    fresh, _key = cache.lookup(environ)
    assert fresh is not None and fresh.body == b"version 2"

    clock.now += 10  # expired again, and this time the page is not stored (e.g. a 404 now)
    page, refreshing = cache.lookup(environ)
    assert page is None and refreshing is not None
    cache.refreshed(refreshing)
    assert cache.lookup(environ) == (None, None) and len(cache) == 0

    cache.store(environ, headers, b"version 3", "feed.index", "/")
    clock.now += 10
    _page, refreshing = cache.lookup(environ)
    clock.now += page_cache.REFRESH_GRACE  # a re-render that never finishes: another one starts
    page, again = cache.lookup(environ)
    assert page is None and again == refreshing


def test_a_hit_answers_304_to_a_matching_if_none_match(cached_app, clock: Clock):
    make_voucher()
    client = cached_app.test_client()
    first, _sql = _get(client)
    clock.now += 2

    revalidated, statements = _get(client, **{"If-None-Match": first.headers["ETag"]})

    assert revalidated.status_code == 304 and revalidated.get_data() == b""
    assert statements == []
    assert revalidated.headers["Age"] == "2"
    for header in ("ETag", "Vary", "Cache-Control"):
        assert revalidated.headers[header] == first.headers[header]
    other, _sql = _get(client, **{"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.get_data() == first.get_data()


def test_head_is_answered_from_the_cache_without_a_body(cached_app):
    make_voucher()
    client = cached_app.test_client()
    page, _sql = _get(client)
    with count_queries() as statements:
        head = client.head("/", headers=BROWSER)
    assert head.status_code == 200 and head.get_data() == b"" and statements == []
    assert head.headers["Content-Length"] == page.headers["Content-Length"]
    assert "Age" in head.headers


def test_posts_are_never_answered_from_the_cache(cached_app):
    make_voucher()
    client = cached_app.test_client()
    _get(client)

    assert client.post("/", headers=BROWSER).status_code == 405
    moved = client.post("/location", data={"clear": "1"}, headers=BROWSER)
    assert moved.status_code == 303 and "Age" not in moved.headers
    assert len(_cache(cached_app)) == 1


def test_the_voucher_page_is_not_cached_because_it_counts_views(cached_app):
    voucher = make_voucher()
    client = cached_app.test_client()
    _get(client, f"/vouchers/{voucher.id}")
    response, statements = _get(client, f"/vouchers/{voucher.id}")
    assert response.status_code == 200 and statements and "Age" not in response.headers
    assert len(_cache(cached_app)) == 0


def test_the_provider_page_and_the_privacy_notice_are_cached(cached_app):
    voucher = make_voucher()
    client = cached_app.test_client()
    for url in (f"/providers/{voucher.company.slug}", "/privacy"):
        _get(client, url)
        response, statements = _get(client, url)
        assert response.status_code == 200 and statements == [] and "Age" in response.headers, url


def test_the_entries_bound_holds_and_the_least_recently_used_goes_first(
    app_factory: Callable[..., Flask], clock: Clock
):
    app = app_factory(PAGE_CACHE_SECONDS="10", PAGE_CACHE_ENTRIES="3")
    with app.app_context():
        make_voucher()
        client = app.test_client()
        for page in range(1, 6):
            _get(client, f"/?page={page}")
        assert len(_cache(app)) == 3

        _hit, statements = _get(client, "/?page=5")
        assert statements == []
        _miss, statements = _get(client, "/?page=1")
        assert statements
        db.session.remove()


def test_a_hit_still_writes_the_request_log_line(cached_app, caplog: pytest.LogCaptureFixture):
    make_voucher()
    client = cached_app.test_client()
    _get(client)
    with caplog.at_level(logging.INFO, logger="konexi.requests"):
        caplog.clear()
        _get(client, **{"User-Agent": "Mozilla/5.0 (Linux; Android 10) Chrome/120.0 Mobile"})
        [line] = [r.getMessage() for r in caplog.records if r.name == "konexi.requests"]
    assert line.startswith("GET feed.index / 200 ")
    assert "ua=Chrome/Android" in line and line.endswith("cache=hit")


def test_concurrent_visitors_each_get_their_own_variant(cached_app):
    make_voucher(title="Bakso malam")
    variants = [{"Accept-Encoding": "br"}, {"Accept-Encoding": "identity"}, {"HX-Request": "true"}]
    expected = {
        i: _html(cached_app.test_client().get("/", headers={**BROWSER, **h}))
        for i, h in enumerate(variants)
    }
    failures: list[str] = []

    def visit(worker: int) -> None:
        client = cached_app.test_client()
        for n in range(30):
            index = (worker + n) % len(variants)
            response = client.get("/", headers={**BROWSER, **variants[index]})
            if response.status_code != 200 or _html(response) != expected[index]:
                failures.append(f"worker {worker} request {n}")

    threads = [threading.Thread(target=visit, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(_cache(cached_app)) == len(variants)


def test_the_cache_is_off_by_default_outside_production(app: Flask, tmp_path: Path):
    assert page_cache.page_cache_of(app) is None
    assert load_settings({"KONEXI_ENV": "development"}, tmp_path)["PAGE_CACHE_SECONDS"] == 0
    production = {
        "KONEXI_ENV": "production",
        "SECRET_KEY": "s",
        "DATABASE_URL": "postgresql://konexi@db/konexi",
        "REDIS_URL": "redis://redis:6379/0",
        "TWILIO_ACCOUNT_SID": "AC1",
        "TWILIO_AUTH_TOKEN": "t",
        "TWILIO_FROM_NUMBER": "+15005550006",
        "SMTP_URL": "smtp://mail:25",
        "MAIL_FROM": "Konexi <no-reply@konexi.test>",
    }
    settings = load_settings(production, tmp_path)
    assert (settings["PAGE_CACHE_SECONDS"], settings["PAGE_CACHE_ENTRIES"]) == (10, 512)
    switched_off = load_settings({**production, "PAGE_CACHE_SECONDS": "0"}, tmp_path)
    assert switched_off["PAGE_CACHE_SECONDS"] == 0
