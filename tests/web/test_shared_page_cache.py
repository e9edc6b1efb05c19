"""The anonymous-page cache shared by every process through Redis, and what it tells CDNs."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from flask import Flask, template_rendered
from redis import Redis
from werkzeug.test import EnvironBuilder

from konexi.extensions import db
from konexi.web import page_cache, shared_pages
from tests.support.auth import log_in
from tests.support.factories import make_voucher

BROWSER = {"Accept-Encoding": "gzip", "Accept-Language": "en"}
SHARED = "public, max-age=0, s-maxage=10, stale-while-revalidate=30"


class Clocks:
    """The worker's monotonic clock and the shared wall clock, moved together by the test."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def wall(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clocks(monkeypatch: pytest.MonkeyPatch) -> Clocks:
    fake = Clocks()
    monkeypatch.setattr(page_cache, "clock", fake.monotonic)
    monkeypatch.setattr(shared_pages, "wall_clock", fake.wall)
    return fake


@pytest.fixture
def two_processes(
    app_factory: Callable[..., Flask], redis_url: str, clocks: Clocks
) -> Iterator[tuple[Flask, Flask]]:
    """Two apps as two gunicorn workers would run them: same database, same Redis."""
    first = app_factory(PAGE_CACHE_SECONDS="10", REDIS_URL=redis_url)
    second = app_factory(PAGE_CACHE_SECONDS="10", REDIS_URL=redis_url)
    with first.app_context():
        yield first, second
        db.session.remove()


class Renders:
    """How many times each app rendered the feed page."""

    def __init__(self, *apps: Flask) -> None:
        self.count = 0
        self._lock = threading.Lock()
        for app in apps:
            template_rendered.connect(self._seen, app)

    def _seen(self, sender: Flask, template, context, **extra) -> None:
        if template.name == "feed/index.html":
            with self._lock:
                self.count += 1


def _html(response) -> str:
    return gzip.decompress(response.get_data()).decode()


def _get(app: Flask, url: str = "/"):
    return app.test_client().get(url, headers=BROWSER)


def test_two_processes_render_the_feed_once_per_expiry_and_show_edits_after_it(
    two_processes, clocks
):
    first, second = two_processes
    voucher = make_voucher(title="Kopi tubruk pagi")
    renders = Renders(first, second)

    one, two = _get(first), _get(second)
    assert one.status_code == two.status_code == 200
    assert renders.count == 1  # the second worker replayed the first one's copy from Redis
    assert two.get_data() == one.get_data() and "Age" in two.headers
    assert _get(second).status_code == 200 and renders.count == 1  # now from its own memory

    voucher.title = "Kopi tubruk sore"
    db.session.commit()
    assert "sore" not in _html(_get(first))  # up to PAGE_CACHE_SECONDS old, as stated
    clocks.offset += 11  # past it: the edit shows after one render, in every process
    after = [_html(_get(second)), _html(_get(first)), _html(_get(second))]
    assert renders.count == 2
    assert all("Kopi tubruk sore" in html for html in after)


def test_a_burst_after_expiry_in_two_processes_renders_once_and_gets_the_stale_copy(
    two_processes, clocks
):
    first, second = two_processes
    make_voucher(title="Bakso urat")
    assert _get(first).status_code == 200
    assert _get(second).status_code == 200
    renders = Renders(first, second)
    clocks.offset += 11
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def visit(app: Flask) -> None:
        barrier.wait()
        statuses.append(_get(app).status_code)

    threads = [threading.Thread(target=visit, args=(app,)) for app in (first, second) * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6
    assert renders.count == 1


def _lock_key(app: Flask) -> str:
    shared = shared_pages.shared_pages_for(app)
    assert shared is not None
    return shared.lock_key(EnvironBuilder(path="/", headers=BROWSER).get_environ())


def test_while_another_process_renders_the_stale_copy_is_served_with_its_age(
    two_processes, clocks, redis_url
):
    first, second = two_processes
    make_voucher(title="Martabak manis")
    served = _get(first)
    renders = Renders(first, second)
    clocks.offset += 12
    Redis.from_url(redis_url).set(_lock_key(second), "another process", px=5000)

    stale = _get(second)

    assert renders.count == 0
    assert stale.status_code == 200 and stale.get_data() == served.get_data()
    assert int(stale.headers["Age"]) >= 12
    assert stale.headers["Cache-Control"] == SHARED


def test_with_no_copy_yet_a_request_waits_briefly_for_the_renderer_then_renders_itself(
    two_processes, redis_url
):
    first, _second = two_processes
    renders = Renders(first)
    Redis.from_url(redis_url).set(_lock_key(first), "a renderer that died", px=5000)

    started = time.monotonic()
    response = _get(first)

    assert response.status_code == 200 and renders.count == 1
    assert time.monotonic() - started < shared_pages.WAIT_FOR_RENDER + 2


def test_with_redis_down_pages_still_render_and_stay_cached_per_worker(app_factory, clocks):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = app_factory(PAGE_CACHE_SECONDS="10", REDIS_URL=f"redis://127.0.0.1:{port}/0")
    with app.app_context():
        make_voucher(title="Soto ayam")
        renders = Renders(app)
        assert _get(app).status_code == 200
        assert _get(app).status_code == 200
        assert renders.count == 1
        db.session.remove()


def test_a_hung_redis_costs_one_request_a_socket_timeout_and_the_next_ones_nothing(
    app_factory, clocks
):
    with socket.socket() as hung:  # accepts connections, never answers: a stopped Redis
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)
        app = app_factory(
            PAGE_CACHE_SECONDS="10",
            REDIS_URL=f"redis://127.0.0.1:{hung.getsockname()[1]}/0",
            REDIS_SOCKET_TIMEOUT="0.3",
        )
        with app.app_context():
            make_voucher(title="Nasi uduk")
            timings = []
            for url in ("/", "/privacy", "/?page=1"):
                started = time.monotonic()
                assert _get(app, url).status_code == 200
                timings.append(time.monotonic() - started)
            db.session.remove()
    assert timings[0] < 2.0  # one socket timeout, then the client pauses (redis_client.py)
    assert max(timings[1:]) < 0.3


def test_anonymous_pages_may_be_kept_by_a_cdn_and_personal_ones_never(two_processes, create_user):
    first, _second = two_processes
    voucher = make_voucher(title="Es teh manis")
    anonymous = _get(first)
    assert anonymous.headers["Cache-Control"] == SHARED
    vary = {name.strip().lower() for name in anonymous.headers["Vary"].split(",")}
    assert {"accept-encoding", "accept-language", "cookie", "hx-request", "hx-boosted"} <= vary
    assert "Set-Cookie" not in anonymous.headers
    revalidated = first.test_client().get(
        "/", headers={**BROWSER, "If-None-Match": anonymous.headers["ETag"]}
    )
    assert revalidated.status_code == 304  # a CDN's revalidation keeps the sharing rules
    assert revalidated.headers["Cache-Control"] == SHARED

    client = first.test_client()
    log_in(client, create_user())
    signed_in = client.get("/", headers=BROWSER)
    assert signed_in.status_code == 200
    assert signed_in.headers["Cache-Control"].startswith("private")
    assert "s-maxage" not in signed_in.headers["Cache-Control"]
    for url in ("/me/vouchers", "/account"):
        assert client.get(url, headers=BROWSER).headers["Cache-Control"] == "no-store"
    voucher_page = first.test_client().get(f"/vouchers/{voucher.id}", headers=BROWSER)
    assert "s-maxage" not in voucher_page.headers["Cache-Control"]  # it counts views
