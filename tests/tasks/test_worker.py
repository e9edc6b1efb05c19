"""`python worker.py` delivers queued messages, retries through RQ's scheduler, runs the cron
jobs, and stops cleanly on SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.registry import StartedJobRegistry

from konexi.config import ROOT
from konexi.extensions import db
from konexi.messaging.outbox import commit_and_dispatch, queue_email, queue_sms
from konexi.models import OutboxMessage
from tests.servers.redis_server import start_redis
from tests.support.faults import start_worker, stop_worker, wait_for, worker_environ

DEADLINE = 20.0


def status_of(message_id: int) -> str:
    db.session.expire_all()
    message = db.session.get(OutboxMessage, message_id)
    assert message is not None
    status = message.status
    db.session.commit()
    return status


@pytest.mark.slow  # a real process for many seconds: `make test` runs it, not the quick loop
def test_worker_process_delivers_retries_sweeps_and_finishes_its_job_on_sigterm(
    app_factory, database_url, redis_url, twilio, mailbox, tmp_path: Path
):
    app = app_factory(REDIS_URL=redis_url)
    log_file = (tmp_path / "worker.log").open("w+")
    with app.app_context():
        # Committed before the worker ran but never queued (Redis was down at the time):
        # the cron sweeper that runs when the worker starts sends it.
        orphan = queue_sms(to="+6281200000001", body="Left behind", kind="claim_code")
        db.session.commit()

        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "worker.py"],
            cwd=ROOT,
            env=worker_environ(database_url, redis_url, twilio, mailbox, OUTBOX_RETRY_DELAYS="0"),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: status_of(orphan.id) == "sent", "the sweeper to send the orphan", DEADLINE
            )

            twilio.fail_next_requests(500)
            sms = queue_sms(to="+6281200000002", body="Your code is 909090", kind="verify_phone")
            email = queue_email(to="ani@example.com", subject="Welcome", body="Hi", kind="welcome")
            commit_and_dispatch()

            wait_for(
                lambda: status_of(sms.id) == "sent", "the SMS to be retried and sent", DEADLINE
            )
            wait_for(lambda: status_of(email.id) == "sent", "the email to be sent", DEADLINE)
            assert db.session.get(OutboxMessage, sms.id).attempts == 2
            assert [m.body for m in twilio.to("+6281200000002")] == ["Your code is 909090"]
            assert twilio.duplicates() == {}
            assert len(mailbox.to("ani@example.com")) == 1

            # A restart while a message is being sent lets that send finish, once.
            twilio.state.delay = 1.0
            receipt = queue_sms(to="+6281200000003", body="Redeemed", kind="redeem_receipt")
            commit_and_dispatch()
            wait_for(
                lambda: status_of(receipt.id) == "sending", "the receipt to be sending", DEADLINE
            )
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=DEADLINE) == 0
            assert status_of(receipt.id) == "sent"
            assert len(twilio.to("+6281200000003")) == 1
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            db.session.remove()

    log_file.seek(0)
    output = log_file.read()
    log_file.close()
    assert "cron: sweep_outbox on queue periodic every 60s" in output
    assert "CronScheduler konexi-cron" in output and "shutdown complete" in output
    assert "worker stopped" in output
    for personal in ("+6281200000001", "+6281200000002", "ani@example.com", "909090"):
        assert personal not in output  # logs name outbox ids, never contacts


def test_worker_refuses_to_start_without_redis(monkeypatch, database_url, caplog):
    import worker

    monkeypatch.setenv("KONEXI_ENV", "testing")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    with caplog.at_level(logging.ERROR, logger="konexi.worker"):
        assert worker.main() == 1
    assert "REDIS_URL is not set" in caplog.text


@pytest.mark.slow  # a real worker process, as above
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sigterm_while_redis_goes_away_still_stops_with_exit_0_and_says_why(
    database_url, twilio, mailbox, tmp_path: Path
):
    """A deploy during a Redis failover: the worker is told to stop while a job runs, and Redis
    is gone before it can unregister. It still stops cleanly (exit 0: the platform asked it to)
    and says in one log line what it could not do."""
    server = start_redis()
    try:
        connection = Redis.from_url(server.url)
        Queue("default", connection=connection).enqueue("time.sleep", 3)
        with (tmp_path / "worker.log").open("w") as log:
            worker = start_worker(worker_environ(database_url, server.url, twilio, mailbox), log)
            try:
                wait_for(
                    lambda: StartedJobRegistry("default", connection=connection).count == 1,
                    "the job to start",
                    timeout=60,
                )
                worker.send_signal(signal.SIGTERM)
                server.stop()
                assert worker.wait(timeout=60) == 0
            finally:
                stop_worker(worker)
    finally:
        server.stop()
    output = (tmp_path / "worker.log").read_text()
    assert "could not stop cleanly" in output and "worker stopped" in output


@pytest.mark.slow  # waits out the shutdown deadline (27 s)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_shutdown_stuck_on_a_hung_redis_ends_before_the_platforms_sigkill(
    database_url, twilio, mailbox, tmp_path: Path
):
    """Redis stops answering (not gone: hung) just as a deploy sends SIGTERM to an idle worker.
    Where the SIGTERM lands decides whether stopping then waits on Redis for good (RQ's signal
    handler asks Redis for the worker's state) or a Redis timeout ends it; either way the worker
    is gone before the platform's SIGKILL at 30 s, and when the watchdog had to end it, the log
    says so with every thread's stack."""
    server = start_redis()
    log_path = tmp_path / "worker.log"
    try:
        with log_path.open("w") as log:
            worker = start_worker(worker_environ(database_url, server.url, twilio, mailbox), log)
            try:
                wait_for(lambda: "Listening on" in log_path.read_text(), "the worker", 60)
                assert server.process is not None
                os.kill(server.process.pid, signal.SIGSTOP)
                started = time.monotonic()
                worker.send_signal(signal.SIGTERM)
                code = worker.wait(timeout=60)
                waited = time.monotonic() - started
            finally:
                if server.process is not None:
                    os.kill(server.process.pid, signal.SIGCONT)
                stop_worker(worker)
    finally:
        server.stop()
    output = log_path.read_text()
    assert code == 0, output
    assert waited < 30, output  # gone before the platform's SIGKILL, whatever it waited on
    if waited > 26:  # stuck on Redis (most runs): the watchdog said where, then left
        assert "worker still stopping 27.0s after SIGTERM: leaving now" in output
        assert "Thread 0x" in output  # the stacks, for whoever reads the log
