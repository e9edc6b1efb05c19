"""PostgreSQL stopped and started again under a running app: a translated 503 during the outage,
and the app serves again afterwards without a restart (pool_pre_ping)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from konexi.extensions import db
from konexi.models import User
from konexi.models.base import utcnow
from konexi.services.accounts.passwords import hash_password
from tests.support.app import TEST_PASSWORD
from tests.support.auth import log_in
from tests.support.claims import post_claim
from tests.support.factories import make_voucher

# database_url: a migrated database on own_postgres, a cluster of this module's own
from tests.support.faults import database_on_own_postgres, wait_for  # noqa: F401

pytestmark = pytest.mark.faults


def test_database_outage_gets_a_translated_503_and_the_app_recovers_by_itself(
    app_factory, own_postgres, twilio, mailbox
):
    app = app_factory()
    with app.app_context():
        user = User(
            name="Wulan",
            email="wulan@example.com",
            phone="+6281700000001",
            password_hash=hash_password(TEST_PASSWORD),
            phone_verified_at=utcnow(),
            email_verified_at=utcnow(),
        )
        db.session.add(user)
        db.session.commit()
        voucher = make_voucher(quota_total=10)
        voucher_id = voucher.id
        client = app.test_client()
        log_in(client, user)
        assert client.get("/").status_code == 200  # the pool now holds open connections
        db.session.remove()

    own_postgres.stop()
    down_at = time.monotonic()
    try:
        with app.app_context():
            anonymous = app.test_client()
            for response, words in (
                (anonymous.get("/"), "Konexi is temporarily unavailable"),
                (client.get(f"/vouchers/{voucher_id}"), "Konexi is temporarily unavailable"),
                (anonymous.get("/?lang=id"), "Konexi sedang tidak tersedia"),
                (client.get("/me/vouchers"), "Konexi is temporarily unavailable"),
            ):
                html = response.get_data(as_text=True)
                assert response.status_code == 503, html[:300]
                assert words in html
                assert "Traceback" not in html and "psycopg" not in html
            health = anonymous.get("/healthz")
            assert health.status_code == 503
            assert health.get_json()["database"] == "down"
            assert health.get_json()["status"] == "down"
    finally:
        own_postgres.resume()
    up_at = time.monotonic()

    with app.app_context():
        # The same app object, never rebuilt: pool_pre_ping replaces the dead connections.
        recovered_in = wait_for(
            lambda: app.test_client().get("/").status_code == 200, "the feed to answer again"
        )
        assert app.test_client().get("/healthz").get_json()["database"] == "ok"
        response = post_claim(client, voucher_id)
        assert response.status_code == 303
        print(
            f"\nFIGURES database-restart: outage_s={up_at - down_at:.1f} "
            f"requests_during_outage=5 status_during_outage=503 "
            f"recovered_after_start_s={recovered_in:.2f} restart_of_app=0"
        )
        db.session.remove()


def test_a_database_that_accepts_but_never_answers_gets_a_503_within_seconds(
    app_factory, twilio, mailbox
):
    """A hung server (or a network that drops packets) must not hold a request for minutes:
    connecting gives up after the connect timeout and the visitor gets the 503 page."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel completes the handshake; nobody ever answers
    port = silent.getsockname()[1]
    app = app_factory(DATABASE_URL=f"postgresql+psycopg://konexi@127.0.0.1:{port}/konexi")
    answers: list[tuple[int, float]] = []

    def visit() -> None:
        started = time.monotonic()
        with app.app_context():
            status = app.test_client().get("/").status_code
        answers.append((status, time.monotonic() - started))

    try:
        visitor = threading.Thread(target=visit, daemon=True)
        visitor.start()
        visitor.join(timeout=30)
        assert answers, "the request was still waiting for the database after 30 s"
        [(status, seconds)] = answers
        assert status == 503
        assert seconds < 15
        print(f"\nFIGURES database-silent: status={status} answered_after_s={seconds:.1f}")
    finally:
        silent.close()
