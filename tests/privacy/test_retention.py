"""Retention: old codes and final outbox messages are deleted; recent and pending ones stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from konexi.extensions import db
from konexi.models import CustomerDataAccess, OutboxMessage, VerificationCode
from konexi.models.base import utcnow
from konexi.services.privacy.retention import purge_old_records


def _code(user_id: int, age: timedelta) -> VerificationCode:
    now = utcnow()
    row = VerificationCode(
        user_id=user_id,
        purpose="verify_phone",
        channel="sms",
        destination_hash="d",
        code_hash="c",
        expires_at=now - age + timedelta(minutes=10),
        created_at=now - age,
    )
    db.session.add(row)
    return row


def _message(status: str, age: timedelta, kind: str) -> OutboxMessage:
    row = OutboxMessage(
        channel="sms",
        kind=kind,
        to_address="+6281200000001",
        body="hello",
        status=status,
        created_at=utcnow() - age,
    )
    db.session.add(row)
    return row


def test_old_codes_and_final_messages_go_recent_and_pending_stay(app, create_user):
    user = create_user()
    _code(user.id, timedelta(days=2))
    _code(user.id, timedelta(hours=2))
    for status in ("sent", "delivered", "failed", "dev"):
        _message(status, timedelta(days=91), f"old-{status}")
        _message(status, timedelta(days=89), f"recent-{status}")
    _message("pending", timedelta(days=120), "old-pending")
    _message("sending", timedelta(days=120), "old-sending")
    db.session.commit()

    report = purge_old_records()

    assert (report.codes, report.messages) == (1, 4)
    db.session.expire_all()
    codes = db.session.scalars(select(VerificationCode)).all()
    assert len(codes) == 1 and codes[0].created_at > utcnow() - timedelta(days=1)
    kinds = set(db.session.scalars(select(OutboxMessage.kind)))
    assert kinds == {
        "recent-sent",
        "recent-delivered",
        "recent-failed",
        "recent-dev",
        "old-pending",
        "old-sending",
    }
    # a second run finds nothing more (idempotent)
    again = purge_old_records()
    assert (again.codes, again.messages) == (0, 0)


def test_now_can_be_given(app, create_user):
    user = create_user()
    _code(user.id, timedelta(hours=2))
    _message("sent", timedelta(days=10), "recent")
    db.session.commit()
    report = purge_old_records(now=utcnow() + timedelta(days=100))
    assert (report.codes, report.messages) == (1, 1)


def test_the_provider_access_log_is_kept(app):
    assert purge_old_records().messages == 0
    assert db.session.scalar(select(CustomerDataAccess.id)) is None  # untouched table


def test_the_job_is_scheduled_daily(monkeypatch):
    import importlib

    from rq import cron

    from konexi.services.privacy import jobs as privacy_jobs
    from konexi.tasks import schedule

    registered: list[dict] = []
    monkeypatch.setattr(
        cron, "register", lambda func, queue, **kw: registered.append(kw | {"func": func})
    )
    importlib.reload(schedule)
    job = next(j for j in registered if j["name"] == "purge_old_records")
    assert job["func"] is privacy_jobs.purge_old_records
    assert job["cron"].split()[2:] == ["*", "*", "*"]  # every day
