"""Large data exports: prepared by a job, announced by email, downloadable by their owner for an
hour, then deleted (and deleted with the account)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import DataExport, OutboxMessage, User
from konexi.models.base import utcnow
from konexi.services.privacy import export_jobs, jobs
from konexi.services.privacy.export import count_export_rows, export_user_data
from konexi.services.privacy.purge import purge_due_accounts
from tests.servers.smtp_server import SmtpServer
from tests.support.app import csrf_token_from
from tests.support.auth import log_in
from tests.support.export import emailed_link, export_mails, exports
from tests.support.faults import redis_dump
from tests.support.purge import EMAIL, NAME, PHONE, dump_database, make_rich_user
from tests.support.worker import run_worker_until_idle


def ask_for_export(client: FlaskClient):
    page = client.get("/account/export")
    assert page.status_code == 200
    return client.post("/account/export", data={"csrf_token": csrf_token_from(page.text)})


def test_a_small_export_is_still_built_in_the_request(
    app_factory: Callable[..., Flask], mailbox: SmtpServer, twilio
) -> None:
    app = app_factory()
    with app.app_context():
        rich = make_rich_user()
        assert count_export_rows(rich.user_id) <= 500
        client = app.test_client()
        log_in(client, rich.user_id)

        response = ask_for_export(client)

        assert response.status_code == 303
        assert "/account/export/" in response.headers["Location"]
        download = client.get(response.headers["Location"])
        assert download.status_code == 200
        assert download.get_json()["profile"]["email"] == EMAIL
        assert exports() == []
        assert export_mails(mailbox) == []
        db.session.remove()


def test_a_large_export_goes_through_a_redis_job_and_an_email_with_a_working_link(
    app_factory: Callable[..., Flask], redis_url: str, mailbox: SmtpServer, twilio
) -> None:
    app = app_factory(EXPORT_INLINE_MAX_ROWS="3", REDIS_URL=redis_url)
    connection = Redis.from_url(redis_url)
    with app.app_context():
        rich = make_rich_user()
        assert count_export_rows(rich.user_id) > 3
        expected = export_user_data(rich.user_id)
        client = app.test_client()
        log_in(client, rich.user_id)

        response = ask_for_export(client)

        assert response.status_code == 303
        assert response.headers["Location"] == "/account/export"
        [pending] = exports()
        assert pending.status == "pending" and pending.payload is None
        # The job holds the export's id and nothing about the person.
        [job] = Queue("default", connection=connection).get_jobs()
        assert job.func_name == "konexi.services.privacy.jobs.build_data_export"
        assert job.args == (pending.id,)
        stored = redis_dump(connection)
        for personal in (NAME, EMAIL, PHONE):
            assert personal.encode() not in stored

        page = client.get("/account/export")
        assert "preparing your file" in page.text
        assert 'hx-trigger="every 3s"' in page.text
        assert 'href="/account/export"' in page.text  # the reload link without JavaScript
        poll = client.get("/account/export", headers={"HX-Request": "true"})
        assert "<html" not in poll.text and 'hx-trigger="every 3s"' in poll.text

        again = ask_for_export(client)  # a second request shows the pending export
        assert again.status_code == 303
        assert len(exports()) == 1
        assert len(Queue("default", connection=connection).get_jobs()) == 1

        run_worker_until_idle(redis_url)

        [ready] = exports()
        assert ready.status == "ready" and ready.size == len(ready.payload.encode())
        assert ready.expires_at - ready.ready_at == timedelta(hours=1)
        [mail] = export_mails(mailbox)
        assert mail.message["Subject"] == "Your Konexi data is ready to download"
        poll = client.get("/account/export", headers={"HX-Request": "true"})
        assert "hx-trigger" not in poll.text  # the polling stops
        assert "Your file is ready" in poll.text

        download = client.get(emailed_link(mailbox))
        assert download.status_code == 200
        assert download.mimetype == "application/json"
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.get_json() == expected
        db.session.remove()


def test_without_redis_the_job_runs_in_process_and_the_email_is_in_the_users_language(
    app_factory: Callable[..., Flask], mailbox: SmtpServer, twilio
) -> None:
    app = app_factory(EXPORT_INLINE_MAX_ROWS="3")
    with app.app_context():
        rich = make_rich_user()
        user = db.session.get(User, rich.user_id)
        user.locale = "id"
        db.session.commit()
        expected = export_user_data(rich.user_id)
        client = app.test_client()
        log_in(client, rich.user_id)

        assert ask_for_export(client).headers["Location"] == "/account/export"

        [ready] = exports()
        assert ready.status == "ready"
        [mail] = export_mails(mailbox)
        # Written in Indonesian (the new sentences are translated by the lead's catalogue run).
        assert mail.text.startswith(f"Halo {NAME},")
        sent = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "data_export_ready")
        )
        assert sent is not None and sent.status == "sent" and sent.user_id == rich.user_id
        download = client.get(emailed_link(mailbox))
        assert download.status_code == 200
        assert download.get_json() == expected
        db.session.remove()


def test_an_account_without_a_proven_email_gets_its_export_on_the_page_and_no_email(
    app_factory: Callable[..., Flask], mailbox: SmtpServer, twilio
) -> None:
    app = app_factory(EXPORT_INLINE_MAX_ROWS="3")
    with app.app_context():
        rich = make_rich_user()
        user = db.session.get(User, rich.user_id)
        user.email_verified_at = None
        db.session.commit()
        client = app.test_client()
        log_in(client, rich.user_id)
        ask_for_export(client)
        user.email = None
        db.session.commit()
        ask_for_export(client)

        assert {export.status for export in exports()} == {"ready"}
        assert export_mails(mailbox) == []
        assert client.get("/account/export").status_code == 200
        db.session.remove()


def _ready_export(app: Flask, mailbox: SmtpServer) -> tuple[int, str, FlaskClient]:
    rich = make_rich_user()
    client = app.test_client()
    log_in(client, rich.user_id)
    ask_for_export(client)
    return rich.user_id, emailed_link(mailbox), client


def test_a_tampered_or_expired_link_is_a_clear_error(
    app_factory: Callable[..., Flask], mailbox: SmtpServer, twilio
) -> None:
    app = app_factory(EXPORT_INLINE_MAX_ROWS="3")
    with app.app_context():
        _user_id, link, client = _ready_export(app, mailbox)

        tampered = client.get(link[:-3] + ("abc" if not link.endswith("abc") else "xyz"))
        assert tampered.status_code == 400
        assert "download link is not valid" in tampered.text
        assert EMAIL not in tampered.text

        # The file's hour is over (the link's own signature is still fresh).
        [ready] = exports()
        ready.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        expired = client.get(link)
        assert expired.status_code == 400
        assert "download link has expired" in expired.text
        assert EMAIL not in expired.text

        # Once the cleanup job has deleted it, the link says the same.
        assert jobs.delete_expired_exports() == 1
        gone = client.get(link)
        assert gone.status_code == 400
        assert "download link has expired" in gone.text
        db.session.remove()


def test_the_link_is_signed_for_an_hour(
    app_factory: Callable[..., Flask], mailbox: SmtpServer, twilio
) -> None:
    import time

    app = app_factory(EXPORT_INLINE_MAX_ROWS="3")
    with app.app_context():
        _user_id, link, client = _ready_export(app, mailbox)
        [ready] = exports()
        ready.expires_at = utcnow() + timedelta(days=1)  # the file alone would still be there
        db.session.commit()
        real_time = time.time
        try:
            time.time = lambda: real_time() + 3601
            response = client.get(link)
        finally:
            time.time = real_time
        assert response.status_code == 400
        assert "download link has expired" in response.text
        db.session.remove()


def test_another_user_or_nobody_cannot_download_it(
    app_factory: Callable[..., Flask], mailbox: SmtpServer, twilio
) -> None:
    app = app_factory(EXPORT_INLINE_MAX_ROWS="3")
    with app.app_context():
        _owner_id, link, _client = _ready_export(app, mailbox)
        other = make_rich_user(
            name="Budi Santoso", email="budi@example.com", phone="+6281300000777"
        )

        stranger = app.test_client()
        log_in(stranger, other.user_id)
        response = stranger.get(link)
        assert response.status_code == 400
        assert EMAIL not in response.text and NAME not in response.text

        anonymous = app.test_client().get(link)
        assert anonymous.status_code in (302, 401)
        assert EMAIL not in anonymous.text
        db.session.remove()


def test_a_new_password_ends_the_link(
    app_factory: Callable[..., Flask], mailbox: SmtpServer, twilio
) -> None:
    app = app_factory(EXPORT_INLINE_MAX_ROWS="3")
    with app.app_context():
        user_id, link, _client = _ready_export(app, mailbox)
        user = db.session.get(User, user_id)
        user.session_version += 1  # what a password change does
        db.session.commit()
        client = app.test_client()
        log_in(client, user_id)

        response = client.get(link)

        assert response.status_code == 400
        assert "download link is not valid" in response.text
        db.session.remove()


def test_the_cleanup_job_deletes_expired_files_only(
    app_factory: Callable[..., Flask], mailbox: SmtpServer, twilio
) -> None:
    app = app_factory()
    with app.app_context():
        rich = make_rich_user()
        now = utcnow()
        fresh = DataExport(
            user_id=rich.user_id,
            status="ready",
            payload="{}",
            size=2,
            ready_at=now,
            expires_at=now + timedelta(minutes=30),
        )
        old = DataExport(
            user_id=rich.user_id,
            status="ready",
            payload=json.dumps({"name": NAME}),
            size=20,
            ready_at=now - timedelta(hours=2),
            expires_at=now - timedelta(hours=1),
        )
        lost = DataExport(
            user_id=rich.user_id, status="pending", created_at=now - timedelta(days=2)
        )
        db.session.add_all([fresh, old, lost])
        db.session.commit()
        fresh_id = fresh.id

        assert jobs.delete_expired_exports() == 2

        assert [e.id for e in exports()] == [fresh_id]
        assert jobs.delete_expired_exports() == 0
        db.session.remove()


def test_the_purge_deletes_the_accounts_exports(
    app_factory: Callable[..., Flask], mailbox: SmtpServer, twilio
) -> None:
    app = app_factory(EXPORT_INLINE_MAX_ROWS="3")
    with app.app_context():
        user_id, _link, _client = _ready_export(app, mailbox)
        assert NAME in dump_database()
        user = db.session.get(User, user_id)
        user.status = "deleting"
        user.purge_after = utcnow() - timedelta(minutes=1)
        db.session.commit()

        assert purge_due_accounts().purged_count == 1

        assert db.session.scalar(select(func.count(DataExport.id))) == 0
        after = dump_database()
        for personal in (NAME, EMAIL, PHONE):
            assert personal not in after
        db.session.remove()


def test_only_one_export_is_pending_per_user(
    app_factory: Callable[..., Flask], mailbox: SmtpServer, twilio
) -> None:
    app = app_factory()
    with app.app_context():
        rich = make_rich_user()
        first, created = export_jobs.request_large_export(rich.user_id)
        second, created_again = export_jobs.request_large_export(rich.user_id)
        assert created and not created_again and first.id == second.id

        # Even a direct insert that skips the check is refused by the database.
        db.session.add(DataExport(user_id=rich.user_id, status="pending"))
        try:
            db.session.commit()
        except Exception as error:  # IntegrityError from either driver
            db.session.rollback()
            assert "unique" in str(error).lower() or "duplicate" in str(error).lower()
        else:
            raise AssertionError("a second pending export was stored")
        assert len(exports()) == 1
        db.session.remove()


def test_the_cleanup_job_is_on_the_cron_schedule() -> None:
    import importlib

    from rq import cron

    import konexi.tasks.schedule

    cron._job_data_registry.clear()
    try:
        importlib.reload(konexi.tasks.schedule)
        registered = {data.get("name"): data for data in cron._job_data_registry}
    finally:
        cron._job_data_registry.clear()
    job = registered["delete_expired_exports"]
    assert job["func"] is jobs.delete_expired_exports
    assert job["cron"] == "*/10 * * * *" and job["queue_name"] == "periodic"
