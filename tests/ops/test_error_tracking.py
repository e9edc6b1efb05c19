"""Errors reach Sentry when SENTRY_DSN is set, with nothing that names a person: no email,
phone, token, cookie or IP address (a local fake of Sentry's ingestion endpoint stores what
sentry-sdk sends)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import sentry_sdk
from flask import request
from redis import Redis
from rq import Queue
from sqlalchemy import select, text

from konexi.error_tracking import scrub_text
from konexi.extensions import db
from konexi.models import User
from tests.servers.fake_sentry import FakeSentry
from tests.support.accounts import submit_login
from tests.support.app import csrf_token_of
from tests.support.faults import start_worker, stop_worker, wait_for, worker_environ

EMAIL, PHONE, TOKEN = "siti.rahma@example.com", "+6281234567890", "eyJ1IjoxN30.Zs9vKq.Tok3nV4lue"
CLIENT_IP, FORWARDED_IP = "203.0.113.9", "198.51.100.23"


@pytest.fixture
def fake_sentry() -> Iterator[FakeSentry]:
    server = FakeSentry()
    server.start()
    yield server
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)  # later apps in this process send nothing
    server.stop()


def test_an_error_in_a_view_reaches_sentry_without_personal_data(
    app_factory, fake_sentry, create_user, caplog
):
    app = app_factory(SENTRY_DSN=fake_sentry.dsn)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 page and a log line

    @app.post("/boom/<token>")
    def boom(token: str) -> str:  # a bug that puts everything personal into its message
        raise RuntimeError(
            f"cannot send to {request.form['email']} / {request.form['phone']} "
            f"with {token} from {request.remote_addr}"
        )

    with app.app_context():
        create_user(email=EMAIL, phone=PHONE)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = CLIENT_IP
    assert submit_login(client, EMAIL).status_code == 303
    session_cookie = client.get_cookie("session").value
    with caplog.at_level(logging.ERROR):
        response = client.post(
            f"/boom/{TOKEN}?email={EMAIL}",
            data={"email": EMAIL, "phone": PHONE, "csrf_token": csrf_token_of(client)},
            headers={"X-Forwarded-For": FORWARDED_IP, "Referer": f"http://localhost/s/{TOKEN}"},
        )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=10)

    [event] = [e for e in fake_sentry.events() if e.get("exception")]
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"].startswith("cannot send to [Filtered] / [Filtered] with [Filtered]")
    assert event["request"]["url"].endswith("/boom/<token>")
    assert "user" not in event
    sent = fake_sentry.raw().decode()
    for personal in (
        EMAIL,
        "siti.rahma",
        PHONE,
        PHONE[1:],
        TOKEN,
        session_cookie,
        CLIENT_IP,
        FORWARDED_IP,
    ):
        assert personal not in sent, personal
    # Flask's own "Exception on <path>" log line names the route, not the token either.
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Exception on /boom/<token> [POST]" in lines
    assert not any(TOKEN in line for line in lines)
    assert json.dumps(event)  # the event is plain JSON


def test_a_database_error_reaches_sentry_without_the_statements_parameters(
    app_factory, fake_sentry, create_user
):
    """SQLAlchemy puts every bound value into the message ("[parameters: ('Siti Rahmawati',
    …)]"): a person's name, which no email or phone pattern catches."""
    name = "Siti Rahmawati"
    app = app_factory(SENTRY_DSN=fake_sentry.dsn)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom-db")
    def boom_db() -> str:
        user_id = db.session.scalar(select(User.id))
        db.session.execute(  # a bug: inserts a row whose id is taken
            text("INSERT INTO users (id, name) VALUES (:id, :name)"), {"id": user_id, "name": name}
        )
        return "unreachable"

    with app.app_context():
        create_user(email=EMAIL, phone=PHONE)
    assert app.test_client().get("/boom-db").status_code == 500
    sentry_sdk.flush(timeout=10)

    [event] = [e for e in fake_sentry.events() if e.get("exception")]
    assert event["exception"]["values"][-1]["type"] == "IntegrityError"
    sent = fake_sentry.raw().decode()
    assert "INSERT INTO users" in sent  # the statement stays: it names no one
    assert name not in sent and "Siti" not in sent


def test_scrub_text_filters_each_kind_of_personal_data():
    text = scrub_text(
        f"{EMAIL} 0812-3456-7890 {PHONE} {CLIENT_IP} 2001:db8::1 /s/{TOKEN} code 123456"
    )
    assert (
        text
        == "[Filtered] [Filtered] [Filtered] [Filtered] [Filtered] /s/[Filtered] code [Filtered]"
    )
    assert scrub_text("konexi.services.accounts.verification line 42 at 12:30") == (
        "konexi.services.accounts.verification line 42 at 12:30"
    )


@pytest.mark.slow  # a real process for many seconds: `make test` runs it, not the quick loop
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_failing_job_in_the_worker_reaches_sentry_without_personal_data(
    database_url, redis_url, fake_sentry, twilio, mailbox, tmp_path
):
    """`python worker.py` reports through the RQ integration; the job's arguments are scrubbed."""
    connection = Redis.from_url(redis_url)
    Queue("default", connection=connection).enqueue("konexi.jobs.no_such_job", EMAIL, PHONE)
    environ = worker_environ(database_url, redis_url, twilio, mailbox, SENTRY_DSN=fake_sentry.dsn)
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = start_worker(environ, log)
        try:
            wait_for(lambda: fake_sentry.events(), "the worker's error to reach Sentry")
        finally:
            stop_worker(worker)
    [event] = fake_sentry.events()
    [exception] = event["exception"]["values"][-1:]
    assert exception["type"] == "ValueError" and "no_such_job" in exception["value"]
    assert event["contexts"]["trace"]["trace_id"] != "[Filtered]"  # machine facts are kept
    sent = fake_sentry.raw().decode()
    for personal in (EMAIL, "siti.rahma", PHONE, PHONE[1:]):
        assert personal not in sent, personal


def test_sentry_starts_without_deprecated_options(app_factory, fake_sentry, recwarn):
    """The SDK is told what it may collect through ``data_collection``, not the deprecated
    ``send_default_pii``: starting it warns about nothing, and it collects no user."""
    app_factory(SENTRY_DSN=fake_sentry.dsn)
    options = sentry_sdk.get_client().options
    assert options["send_default_pii"] is None
    assert options["data_collection"]["user_info"] is False
    assert options["data_collection"]["cookies"] == {"mode": "off"}
    messages = [str(w.message) for w in recwarn.list]
    assert not [m for m in messages if "sentry" in m.lower() or "deprecated" in m.lower()]
