"""Redis over TLS with a self-signed certificate (Heroku's Redis add-on: ``rediss://``): the
queue, the rate limits, /healthz, the worker and its cron child all connect under the default
REDIS_SSL_CERT_REQS=none; ``required`` refuses the certificate with a clear error."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from konexi.config import ROOT, ConfigError, load_settings
from konexi.extensions import db, limiter
from konexi.messaging.outbox import commit_and_dispatch, discard_pending, queue_sms
from tests.servers.redis_server import RedisServer, start_redis
from tests.support.accounts import submit_login
from tests.support.faults import start_worker, status_counts, stop_worker, wait_for
from tests.support.faults import worker_environ as faults_worker_environ


@pytest.fixture(scope="module")
def tls_redis() -> Iterator[RedisServer]:
    server = start_redis(tls=True)
    yield server
    server.stop()


@pytest.fixture
def rediss_url(tls_redis: RedisServer) -> Iterator[str]:
    """The TLS-only Redis, emptied for this test."""
    connection = Redis.from_url(tls_redis.url, ssl_cert_reqs="none")
    connection.flushdb()
    yield tls_redis.url
    connection.flushdb()
    connection.close()


@pytest.mark.slow  # a real process for many seconds: `make test` runs it, not the quick loop
def test_queue_rate_limits_worker_and_cron_work_over_rediss_with_a_self_signed_certificate(
    app_factory, database_url, rediss_url, twilio, mailbox, tmp_path: Path
):
    app = app_factory(  # REDIS_SSL_CERT_REQS unset: none
        REDIS_URL=rediss_url, RATELIMIT_LOGIN_PER_IP="10 per minute"
    )
    server = Redis.from_url(rediss_url, ssl_cert_reqs="none")
    with app.app_context():
        client = app.test_client()
        health = client.get("/healthz")
        assert (health.status_code, health.get_json()["redis"]) == (200, "ok")

        statuses = [
            submit_login(client, f"n{n}@example.com", "wrong").status_code for n in range(11)
        ]
        assert statuses == [200] * 10 + [429]
        assert not limiter.counting_in_memory  # counted in the TLS Redis, shared by every dyno
        assert server.keys("LIMITS*")

        # Committed but never queued: the cron child's sweeper must find it over TLS.
        queue_sms(to="+6281200000001", body="Left behind", kind="claim_code")
        db.session.commit()
        discard_pending()  # as if Redis had been down when it was committed
        queue_sms(to="+6281200000002", body="Queued", kind="claim_code")
        commit_and_dispatch()
        assert Queue("sms", connection=server).count == 1

        log_path = tmp_path / "worker.log"
        with log_path.open("w") as log:
            worker = start_worker(
                faults_worker_environ(database_url, rediss_url, twilio, mailbox), log
            )
            try:
                wait_for(
                    lambda: status_counts() == {"sent": 2}, "both messages to be sent", timeout=90
                )  # a cold worker, its cron child and two forks on a loaded 2-core machine
            finally:
                stop_worker(worker)
                db.session.remove()
        output = log_path.read_text()
        assert worker.returncode == 0, output
        assert sorted(m.body for m in twilio.messages) == ["Left behind", "Queued"]
        assert "with Redis at rediss://127.0.0.1" in output and "CERTIFICATE" not in output


@pytest.mark.slow  # a real process for many seconds: `make test` runs it, not the quick loop
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_required_refuses_a_self_signed_certificate_with_a_clear_error(
    app_factory, database_url, tls_redis, rediss_url, twilio, mailbox, monkeypatch, caplog, tmp_path
):
    checked = app_factory(REDIS_URL=rediss_url, REDIS_SSL_CERT_REQS="required")
    with caplog.at_level(logging.WARNING):
        health = checked.test_client().get("/healthz")
    assert health.get_json() == {
        "status": "degraded",
        "database": "ok",
        "redis": "down",
        "nearby": "portable",  # SQLite
    }
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text

    environ = faults_worker_environ(
        database_url, rediss_url, twilio, mailbox, REDIS_SSL_CERT_REQS="required"
    )
    worker = subprocess.run(  # noqa: S603
        [sys.executable, "worker.py"], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert worker.returncode == 1
    assert "CERTIFICATE_VERIFY_FAILED" in worker.stderr
    assert "REDIS_SSL_CERT_REQS=none" in worker.stderr  # what to do about it
    assert "Traceback" not in worker.stderr

    # `required` does verify: a certificate the machine trusts (here through SSL_CERT_FILE) passes.
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_redis.tls.cert_file))
    trusted = app_factory(REDIS_URL=rediss_url, REDIS_SSL_CERT_REQS="required")
    assert trusted.test_client().get("/healthz").get_json()["redis"] == "ok"
    with pytest.raises(ConfigError, match="REDIS_SSL_CERT_REQS"):
        load_settings({"KONEXI_ENV": "testing", "REDIS_SSL_CERT_REQS": "maybe"}, tmp_path)
