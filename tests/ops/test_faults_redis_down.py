"""Redis stopped while people claim and sign up: nothing fails, nothing is lost, nothing doubles."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import select

from konexi.extensions import db, limiter
from konexi.messaging.jobs import sweep_outbox
from konexi.models import OutboxMessage
from tests.support.accounts import sign_up, submit
from tests.support.app import nearby_search
from tests.support.auth import log_in
from tests.support.claims import post_claim
from tests.support.factories import make_voucher
from tests.support.faults import make_users, status_counts, wait_for

pytestmark = pytest.mark.faults

CLAIMERS = 5
SIGNUPS = 3


def deliver_queued(redis_url: str) -> None:
    """A worker (in this process, as `python worker.py` would) runs every queued job."""
    SimpleWorker(["sms", "email", "default"], connection=Redis.from_url(redis_url)).work(burst=True)


def test_redis_outage_requests_succeed_and_every_message_is_sent_once_afterwards(
    app_factory, own_redis, twilio, mailbox, caplog, tmp_path: Path
):
    app = app_factory(REDIS_URL=own_redis.url)
    with app.app_context():
        users = make_users(CLAIMERS)
        voucher = make_voucher(quota_total=100)
        clients = []
        for user in users:
            client = app.test_client()
            log_in(client, user)
            clients.append(client)
        assert app.test_client().get("/healthz").status_code == 200

        own_redis.stop()
        down_at = time.monotonic()
        with caplog.at_level(logging.WARNING):
            health = app.test_client().get("/healthz")
            assert health.status_code == 200  # alive: pages and sign-up still work
            assert health.get_json() == {
                "status": "degraded",
                "database": "ok",
                "redis": "down",
                "nearby": nearby_search(),
            }

            claims = [post_claim(client, voucher.id) for client in clients]
            signups = [
                sign_up(
                    app.test_client(),
                    name=f"Putri {n}",
                    email=f"putri{n}@example.com",
                    phone=f"0817 0000 000{n}",
                )
                for n in range(SIGNUPS)
            ]
        assert [r.status_code for r in claims] == [303] * CLAIMERS
        assert [r.status_code for r in signups] == [303] * SIGNUPS
        assert "could not enqueue deliver_message on sms; the sweeper will retry" in caplog.text

        # One claim code per claimer, a phone and an email code per new account: all kept.
        expected = CLAIMERS + 2 * SIGNUPS
        assert status_counts() == {"pending": expected}
        assert twilio.messages == [] and mailbox.messages == []

        own_redis.start()
        up_at = time.monotonic()
        wait_for(
            lambda: app.test_client().get("/healthz").get_json()["status"] == "ok", "healthz ok"
        )
        healthy_in = time.monotonic() - up_at

        assert sweep_outbox() == expected  # the cron job: every undelivered row queued once
        assert sweep_outbox() == 0
        deliver_queued(own_redis.url)
        assert status_counts() == {"sent": expected}
        rows = db.session.scalars(select(OutboxMessage)).all()
        sms_rows = [row for row in rows if row.channel == "sms"]
        assert len(twilio.messages) == len(sms_rows) and twilio.duplicates() == {}
        assert len(mailbox.messages) == expected - len(sms_rows)
        for user in users:
            [sms] = twilio.to(user.phone)
            assert "code" in sms.body.lower()
        print(
            f"\nFIGURES redis-down: requests_during_outage={CLAIMERS + SIGNUPS} "
            f"errors=0 messages={expected} sent={len(rows)} lost=0 "
            f"duplicated={sum(twilio.duplicates().values())} "
            f"outage_s={up_at - down_at:.1f} healthz_recovered_s={healthy_in:.2f}"
        )
        db.session.remove()


def test_rate_limited_pages_answer_while_redis_is_down_and_limits_still_hold(
    app_factory, own_redis, twilio, mailbox
):
    """Flask-Limiter keeps its counters in Redis: without it, it falls back to per-process
    memory instead of failing the request, and returns to Redis once it is back."""
    app = app_factory(REDIS_URL=own_redis.url)
    with app.app_context():
        [user] = make_users(1)
        voucher = make_voucher(quota_total=100, per_user_limit=100)
        client = app.test_client()
        log_in(client, user)
        own_redis.stop()

        statuses = [post_claim(client, voucher.id).status_code for _ in range(11)]
        # The claim limit (10 a minute) still holds, counted in memory: never a 500.
        assert statuses == [303] * 10 + [429]
        # A failed login is counted after the response (deduct_when): no 500 there either.
        failed_login = submit(
            app.test_client(), "/login", {"identifier": "rina0@example.com", "password": "nope"}
        )
        assert failed_login.status_code == 200
        assert "rina0@example.com" in failed_login.get_data(as_text=True)

        assert limiter.counting_in_memory

        own_redis.start()
        # The limiter looks for Redis again after a growing pause (1 s, 2 s, 4 s …).
        wait_for(
            lambda: (
                app.test_client().get("/login").status_code == 200
                and not limiter.counting_in_memory
            ),
            "the limiter to count in Redis again",
        )
        [other] = make_users(1, first=1)
        other_client = app.test_client()
        log_in(other_client, other)
        assert post_claim(other_client, voucher.id).status_code == 303
        assert Redis.from_url(own_redis.url).keys("LIMITS*")  # counted in Redis again
        db.session.remove()
