"""The weekly digest: who gets it, what it shows, and once per ISO week."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask

from konexi.extensions import db
from konexi.models import User
from konexi.models.preferences import user_favourite_categories
from konexi.services.catalogue import digest
from tests.servers.smtp_server import SmtpServer
from tests.support.factories import make_voucher


def _marketing_user(create_user: Callable[..., User], **kwargs) -> User:
    user = create_user(**kwargs)
    user.marketing_email = True
    db.session.commit()
    return user


def test_personalisation_off_gets_newest_vouchers_not_history(
    app: Flask, create_user: Callable[..., User], mailbox: SmtpServer
) -> None:
    old = make_voucher(title="Old favourite kopi")
    old.created_at = datetime.now(UTC) - timedelta(days=30)
    db.session.commit()
    newest = [make_voucher(title=f"Fresh deal {n}") for n in range(5)]
    user = _marketing_user(create_user, email="off@example.com")
    user.personalisation_enabled = False
    db.session.execute(
        user_favourite_categories.insert().values(user_id=user.id, category_id=old.category_id)
    )
    db.session.commit()

    assert digest.send_weekly_digests() == 1
    [mail] = mailbox.to("off@example.com")
    for voucher in newest:
        assert f"http://konexi.test/vouchers/{voucher.id}" in mail.text
    assert "Old favourite kopi" not in mail.text
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_personalised_digest_in_the_users_language(
    app: Flask, create_user: Callable[..., User], mailbox: SmtpServer
) -> None:
    voucher = make_voucher(title="Nasi goreng hemat")
    user = _marketing_user(create_user, email="id@example.com")
    user.locale = "id"
    db.session.execute(
        user_favourite_categories.insert().values(user_id=user.id, category_id=voucher.category_id)
    )
    db.session.commit()

    assert digest.send_weekly_digests() == 1
    [mail] = mailbox.to("id@example.com")
    assert "Nasi goreng hemat" in mail.text
    assert f"http://konexi.test/vouchers/{voucher.id}" in mail.text
    assert "/unsubscribe/" in mail.text


def test_only_opted_in_active_verified_users_with_something_to_show(
    app: Flask, create_user: Callable[..., User], mailbox: SmtpServer
) -> None:
    make_voucher()
    create_user(email="no-marketing@example.com")  # marketing off by default
    _marketing_user(create_user, email="unverified@example.com", verified=False)
    closed = _marketing_user(create_user, email="closed@example.com")
    closed.status = "closed"
    _marketing_user(create_user, email="nothing@example.com")  # personalised, no signals
    db.session.commit()

    assert digest.send_weekly_digests() == 0
    assert mailbox.messages == []


def test_not_sent_twice_in_the_same_iso_week(
    app: Flask, create_user: Callable[..., User], mailbox: SmtpServer
) -> None:
    make_voucher()
    user = _marketing_user(create_user, email="weekly@example.com")
    user.personalisation_enabled = False
    db.session.commit()
    monday = datetime(2026, 11, 23, 2, tzinfo=UTC)

    assert digest.send_weekly_digests(monday) == 1
    assert digest.send_weekly_digests(monday + timedelta(days=3)) == 0
    assert len(mailbox.to("weekly@example.com")) == 1
    assert digest.send_weekly_digests(monday + timedelta(days=7)) == 1
    assert len(mailbox.to("weekly@example.com")) == 2


def test_job_is_registered_on_monday_mornings_wib() -> None:
    import importlib

    from rq import cron

    import konexi.tasks.schedule

    cron._job_data_registry.clear()
    try:
        importlib.reload(konexi.tasks.schedule)
        jobs = {data.get("name"): data for data in cron._job_data_registry}
    finally:
        cron._job_data_registry.clear()
    job = jobs["send_weekly_digests"]
    assert job["cron"] == "0 2-12 * * 1"  # hourly re-runs finish a run a deploy killed
    assert job["func"].__name__ == "send_weekly_digests"


def test_an_account_without_an_email_does_not_stop_the_others_digests(
    app: Flask, create_user: Callable[..., User], mailbox: SmtpServer
) -> None:
    voucher = make_voucher(title="Kopi susu hemat")
    gone = _marketing_user(create_user, email="gone@example.com")
    kept = _marketing_user(create_user, email="kept@example.com")
    for user in (gone, kept):
        db.session.execute(
            user_favourite_categories.insert().values(
                user_id=user.id, category_id=voucher.category_id
            )
        )
    gone.email = None  # no flow leaves this (detaching clears email_verified_at too)
    db.session.commit()

    assert digest.send_weekly_digests() == 1
    assert [mail.envelope_to for mail in mailbox.messages] == [["kept@example.com"]]
