"""One Redis connection pool per process: the queue and page-cache client, the rate limiter and
the SMS counters share it, so a busy process holds about one Redis connection per thread, not
one per thread for each of them (the smallest Redis plans allow 20 clients in all)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from limits import RateLimitItemPerMinute
from redis import Redis

from konexi.extensions import limiter
from konexi.redis_client import shared_pool
from konexi.services.accounts import verification
from tests.servers.redis_server import RedisServer, start_redis
from tests.support.accounts import submit_login

THREADS = 8


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis of this test's own: every client connected to it is the app's."""
    server = start_redis()
    yield server
    server.stop()


def _clients(server: RedisServer) -> int:
    with Redis.from_url(server.url) as inspector:
        return len(inspector.client_list()) - 1  # not the inspector itself


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_queue_the_limiter_and_the_sms_counters_share_one_pool(
    app_factory, database_url, own_redis: RedisServer, create_user
) -> None:
    app: Flask = app_factory(REDIS_URL=own_redis.url, RATELIMIT_LOGIN_PER_IP="1000 per minute")
    with app.app_context():
        pool = shared_pool(app)
        assert pool is not None
        assert app.extensions["konexi_redis"].connection_pool is pool
        assert limiter.storage.storage.connection_pool is pool
        sms_counter, _fallback = verification._guard()
        assert sms_counter.storage.storage.connection_pool is pool
        create_user(email="siti@example.com")

    barrier = threading.Barrier(THREADS)
    failures: list[BaseException] = []
    item = RateLimitItemPerMinute(1000)

    def busy_request(number: int) -> None:
        """What a busy request does with Redis: its rate limit, an SMS counter, a cached page
        or a queued job, one after another."""
        with app.app_context():
            cache = app.extensions["konexi_redis"]
            sms_counter, _fallback = verification._guard()
            barrier.wait()
            try:
                for round_ in range(30):
                    limiter.limiter.hit(item, "login", str(number))
                    sms_counter.hit(item, "sms", str(number))
                    cache.set(f"page:{number}", round_)
                    client_login(number)
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)

    def client_login(number: int) -> None:
        submit_login(app.test_client(), "siti@example.com", f"wrong-{number}")

    threads = [threading.Thread(target=busy_request, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    # Three clients with their own pools held up to 3 x 8 here; one pool holds one a thread.
    assert 1 <= _clients(own_redis) <= THREADS
