"""Jobs longer than a deploy's SIGTERM window (20 s) lose nothing: the weekly digest resumes where
a killed run stopped and sends each user one digest a week; a data export whose build was killed
(or whose job was lost) is queued again by the sweeper once its lease ends, and completes once.

The jobs are called as plain functions; the kill is an exception no job code catches, raised at
the point a SIGKILL would stop the work horse (its open transaction is then lost).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from redis import Redis
from rq import Queue, cron
from sqlalchemy import func, select, update

from konexi.extensions import db
from konexi.messaging.outbox import discard_pending
from konexi.models import DataExport, DigestLog, User
from konexi.models.base import utcnow
from konexi.services.catalogue import digest
from konexi.services.privacy import export_jobs, jobs
from tests.servers.smtp_server import SmtpServer
from tests.support.export import export_mails, exports
from tests.support.factories import make_voucher
from tests.support.purge import make_rich_user
from tests.support.worker import run_worker_until_idle


class WorkHorseKilled(BaseException):
    """What a SIGKILL is to the job: it stops mid-way, past every ``except Exception``."""


def kill_after(calls: int, real: Callable[..., object]) -> Callable[..., object]:
    count = {"n": 0}

    def wrapped(*args: object) -> object:
        count["n"] += 1
        if count["n"] > calls:
            raise WorkHorseKilled
        return real(*args)

    return wrapped


def lose_the_transaction() -> None:
    """The killed process's uncommitted work is gone."""
    db.session.rollback()
    discard_pending()


def test_a_digest_killed_midway_and_run_again_sends_each_user_exactly_one(
    app: Flask,
    create_user: Callable[..., User],
    mailbox: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_voucher(title="Kopi pagi hemat")
    emails = [f"weekly{n}@example.com" for n in range(5)]
    for email in emails:
        user = create_user(email=email)
        user.marketing_email, user.personalisation_enabled = True, False
    db.session.commit()
    monkeypatch.setattr(digest, "BATCH_SIZE", 2)
    monkeypatch.setattr(digest, "digest_vouchers", kill_after(3, digest.digest_vouchers))

    with pytest.raises(WorkHorseKilled):
        digest.send_weekly_digests()
    lose_the_transaction()
    sent_before_the_kill = [email for email in emails if mailbox.to(email)]
    assert sent_before_the_kill == emails[:2]  # the first batch was committed and sent

    monkeypatch.undo()
    assert digest.send_weekly_digests() == 3  # the re-run sends the rest
    assert digest.send_weekly_digests() == 0  # and a third run nobody
    assert {email: len(mailbox.to(email)) for email in emails} == dict.fromkeys(emails, 1)
    assert db.session.scalar(select(func.count()).select_from(DigestLog)) == 5


def registered_cron_jobs() -> dict[str, dict]:
    import konexi.tasks.schedule

    cron._job_data_registry.clear()
    try:
        importlib.reload(konexi.tasks.schedule)
        return {data["name"]: data for data in cron._job_data_registry}
    finally:
        cron._job_data_registry.clear()


def test_the_digest_runs_again_hourly_on_monday_and_exports_are_swept() -> None:
    registered = registered_cron_jobs()
    assert registered["send_weekly_digests"]["cron"] == "0 2-12 * * 1"
    sweep = registered["requeue_stalled_exports"]
    assert sweep["func"] is jobs.requeue_stalled_exports
    assert sweep["cron"] == "*/5 * * * *" and sweep["queue_name"] == "periodic"


def a_pending_export(app_factory: Callable[..., Flask], **environ: str) -> tuple[Flask, int]:
    app = app_factory(EXPORT_INLINE_MAX_ROWS="3", **environ)
    with app.app_context():
        rich = make_rich_user()
        export, created = export_jobs.request_large_export(rich.user_id)
        assert created
        export_id = export.id
        db.session.remove()
    return app, export_id


def pass_time(export_id: int, **since: timedelta) -> None:
    """Move the export's clock back, as if ``lease`` ended or ``created`` was that long ago."""
    values = {}
    if "lease" in since:
        values["lease_expires_at"] = utcnow() - since["lease"]
    if "created" in since:
        values["created_at"] = utcnow() - since["created"]
    db.session.execute(update(DataExport).where(DataExport.id == export_id).values(**values))
    db.session.commit()


def test_an_export_killed_while_building_is_requeued_after_its_lease_and_completes_once(
    app_factory: Callable[..., Flask],
    redis_url: str,
    mailbox: SmtpServer,
    twilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, export_id = a_pending_export(app_factory, REDIS_URL=redis_url)
    queue = Queue("default", connection=Redis.from_url(redis_url))
    with app.app_context():
        monkeypatch.setattr(
            export_jobs, "export_document", kill_after(0, export_jobs.export_document)
        )
        with pytest.raises(WorkHorseKilled):
            jobs.build_data_export(export_id)
        monkeypatch.undo()
        lose_the_transaction()
        [stuck] = exports()
        assert stuck.status == "pending" and stuck.build_attempts == 1

        assert jobs.requeue_stalled_exports() == 0  # the lease still holds it
        assert jobs.build_data_export(export_id) == "building"  # a duplicate job backs off
        pass_time(export_id, lease=timedelta(seconds=1))
        assert jobs.requeue_stalled_exports() == 1
        [job] = queue.get_jobs()
        assert job.func_name == "konexi.services.privacy.jobs.build_data_export"
        assert job.args == (export_id,)

        run_worker_until_idle(redis_url)

        [ready] = exports()
        assert ready.status == "ready" and ready.build_attempts == 2
        assert len(export_mails(mailbox)) == 1
        assert jobs.requeue_stalled_exports() == 0
        assert jobs.build_data_export(export_id) == "ready"  # a late duplicate changes nothing
        assert len(export_mails(mailbox)) == 1
        db.session.remove()


def test_an_export_whose_job_never_ran_is_queued_again_after_a_grace_period(
    app_factory: Callable[..., Flask], mailbox: SmtpServer, twilio
) -> None:
    app, export_id = a_pending_export(app_factory)  # as if Redis was down at the request
    with app.app_context():
        assert jobs.requeue_stalled_exports() == 0  # its job may still be waiting in the queue
        pass_time(export_id, created=export_jobs.QUEUE_GRACE + timedelta(seconds=1))
        assert jobs.requeue_stalled_exports() == 1  # without Redis the build runs at once
        [ready] = exports()
        assert ready.status == "ready"
        assert len(export_mails(mailbox)) == 1
        db.session.remove()


def test_an_export_killed_every_time_fails_after_three_attempts(
    app_factory: Callable[..., Flask], mailbox: SmtpServer, twilio
) -> None:
    app, export_id = a_pending_export(app_factory)
    with app.app_context():
        for _attempt in range(export_jobs.MAX_BUILD_ATTEMPTS):
            assert export_jobs._take_lease(export_id, utcnow())  # a build starts, then dies
            pass_time(export_id, lease=timedelta(seconds=1))
        assert jobs.requeue_stalled_exports() == 1
        [failed] = exports()
        assert failed.status == "failed"  # the user may ask again; no endless rebuilding
        assert export_mails(mailbox) == []
        assert jobs.requeue_stalled_exports() == 0
        db.session.remove()
