"""Messages written by a worker job, no request: links under BASE_URL, the recipient's language.

The public address may be https with a path prefix (the app served under ``/konexi`` behind a
proxy); every link in an SMS or email, and Twilio's status callback, must carry both, and the
text must be in the language the recipient chose, not the worker's default.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from redis import Redis
from rq import Queue

from konexi.extensions import db
from konexi.models import User
from konexi.tasks.queue import enqueue
from tests.servers.fake_twilio import FakeTwilio
from tests.servers.smtp_server import SmtpServer
from tests.support.factories import make_voucher
from tests.support.worker import run_worker_until_idle

BASE = "https://konexi.example/konexi"


def _user(create_user: Callable[..., User], locale: str, **kwargs: str) -> User:
    user = create_user(**kwargs)
    user.locale = locale
    user.marketing_email = True
    user.personalisation_enabled = False  # the digest shows the newest vouchers
    db.session.commit()
    return user


def _app_with_a_worker(app_factory: Callable[..., Flask], redis_url: str) -> Flask:
    return app_factory(REDIS_URL=redis_url, BASE_URL=BASE + "/")


def test_a_share_sent_by_a_job_links_under_the_base_url_in_the_senders_language(
    app_factory: Callable[..., Flask],
    redis_url: str,
    twilio: FakeTwilio,
    create_user: Callable[..., User],
) -> None:
    app = _app_with_a_worker(app_factory, redis_url)
    with app.app_context():
        voucher = make_voucher(title="Es kopi susu")
        senders = {
            "+6281299900001": _user(create_user, "id", name="Siti Rahma"),
            "+6281299900002": _user(create_user, "en", name="Budi Santoso"),
        }
        for friend, sender in senders.items():
            share = "konexi.services.sharing.sharing.share_voucher"
            enqueue(share, sender.id, voucher.id, friend, "", None)
        assert Queue("default", connection=Redis.from_url(redis_url)).count == 2

        run_worker_until_idle(redis_url)

        [indonesian] = twilio.to("+6281299900001")
        [english] = twilio.to("+6281299900002")
        db.session.remove()
    assert indonesian.body.startswith("Siti membagikan voucher di Konexi: Es kopi susu")
    assert english.body.startswith("Budi shared a voucher on Konexi: Es kopi susu")
    for sms in (indonesian, english):
        link = sms.body.rpartition(" ")[2]
        assert link.startswith(f"{BASE}/s/") and len(link) > len(f"{BASE}/s/") + 16
        assert sms.status_callback == f"{BASE}/webhooks/twilio/status?outbox={sms.outbox_id}"


def test_the_digest_job_links_under_the_base_url_in_each_recipients_language(
    app_factory: Callable[..., Flask],
    redis_url: str,
    mailbox: SmtpServer,
    create_user: Callable[..., User],
) -> None:
    app = _app_with_a_worker(app_factory, redis_url)
    with app.app_context():
        voucher_id = make_voucher(title="Nasi goreng hemat").id
        _user(create_user, "id", email="siti@example.com")
        _user(create_user, "en", email="budi@example.com")
        enqueue("konexi.jobs.send_weekly_digests")

        run_worker_until_idle(redis_url)
        db.session.remove()

    [indonesian] = mailbox.to("siti@example.com")
    [english] = mailbox.to("budi@example.com")
    assert indonesian.subject == "Voucher Konexi Anda minggu ini"
    assert "Voucher yang mungkin Anda suka minggu ini:" in indonesian.text
    assert english.subject == "Your Konexi vouchers this week"
    assert "Vouchers you may like this week:" in english.text
    for mail in (indonesian, english):
        assert f"  {BASE}/vouchers/{voucher_id}\r\n" in mail.text
        unsubscribe = mail.message["List-Unsubscribe"].split(">")[0].lstrip("<")
        assert unsubscribe.startswith(f"{BASE}/unsubscribe/")
        assert unsubscribe in mail.text
