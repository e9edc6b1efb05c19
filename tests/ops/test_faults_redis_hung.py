"""Redis that hangs (SIGSTOP: connections stay open, nothing answers) while people claim and
sign up: each Redis call gives up after REDIS_SOCKET_TIMEOUT, so a claim or a sign-up still
finishes within a few seconds (it took 5-11 s with the old 5 s queue timeout) and nothing is
lost: the outbox rows wait for the sweeper, as when Redis is down."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from konexi.extensions import db
from tests.servers.redis_server import RedisServer
from tests.support.accounts import sign_up
from tests.support.auth import log_in
from tests.support.claims import post_claim
from tests.support.factories import make_voucher
from tests.support.faults import make_users, status_counts

pytestmark = pytest.mark.faults

CLAIM_BOUND = 4.0  # seconds, with the default 1 s Redis socket timeouts
SIGNUP_BOUND = 6.0
PAUSED_PAGE_BOUND = 0.5  # well under one socket timeout


@contextmanager
def hung(server: RedisServer) -> Iterator[None]:
    """redis-server stopped (SIGSTOP) and continued afterwards whatever happens."""
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.process.pid, signal.SIGCONT)


def _timed(action):
    started = time.monotonic()
    response = action()
    return response, time.monotonic() - started


def test_a_hung_redis_costs_a_claim_and_a_sign_up_seconds_not_minutes(
    app_factory,
    own_redis,
    twilio,
    mailbox,
):
    app = app_factory(REDIS_URL=own_redis.url)
    with app.app_context():
        [user] = make_users(1)
        voucher = make_voucher(quota_total=10)
        client = app.test_client()
        log_in(client, user)
        assert client.get(f"/vouchers/{voucher.id}").status_code == 200  # connections open

        with hung(own_redis):
            claim, claim_seconds = _timed(lambda: post_claim(client, voucher.id))
            # Once the app's client has met the hung Redis it stops asking for a while: the
            # next page (its view mark) does not wait for another socket timeout.
            page, page_seconds = _timed(lambda: client.get(f"/vouchers/{voucher.id}"))
            signup, signup_seconds = _timed(
                lambda: sign_up(
                    app.test_client(), email="putri@example.com", phone="0817 0000 0001"
                )
            )

        assert claim.status_code == 303 and signup.status_code == 303
        assert claim_seconds < CLAIM_BOUND, claim_seconds
        assert page.status_code == 200 and page_seconds < PAUSED_PAGE_BOUND, page_seconds
        assert signup_seconds < SIGNUP_BOUND, signup_seconds
        # The claim code and the two sign-up codes wait in the outbox for the sweeper.
        assert status_counts() == {"pending": 3}
        print(f"\nFIGURES redis-sigstop: claim_s={claim_seconds:.1f} signup_s={signup_seconds:.1f}")
        db.session.remove()
