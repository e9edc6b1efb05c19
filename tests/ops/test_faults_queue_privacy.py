"""Nothing personal in Redis: after a whole account life (sign-up, codes, claims, a share, a
digest, a password reset, a retry waiting in RQ's scheduler, deletion and purge), no key or value
in Redis holds the person's name, email or phone, nor their friend's number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.registry import FinishedJobRegistry, ScheduledJobRegistry
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import OutboxMessage, User
from konexi.models.base import utcnow
from konexi.services.catalogue import jobs as catalogue_jobs
from konexi.services.privacy import jobs as privacy_jobs
from konexi.services.sharing import jobs as sharing_jobs
from konexi.services.sharing.sharing import share_voucher
from konexi.tasks.queue import FAILURE_TTL, RESULT_TTL
from tests.support.accounts import latest_code, sign_up, submit
from tests.support.app import TEST_PASSWORD, csrf_token_from
from tests.support.claims import post_claim
from tests.support.factories import make_voucher
from tests.support.faults import redis_dump

pytestmark = pytest.mark.faults

NAME = "Kartika Sari"
EMAIL = "kartika.sari@example.com"
PHONE = "+6281377778888"
LOCAL_PHONE = "0813 7777 8888"
FRIEND = "+6281366665555"


def run_worker(redis_url: str) -> None:
    SimpleWorker(
        ["sms", "email", "default", "periodic"], connection=Redis.from_url(redis_url)
    ).work(burst=True)


def the_user() -> User:
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == EMAIL))
    assert user is not None
    return user


def test_no_name_email_or_phone_is_left_in_redis_after_an_account_life_and_purge(
    app_factory, redis_url, twilio, mailbox
):
    app = app_factory(REDIS_URL=redis_url, OUTBOX_RETRY_DELAYS="3600")
    redis = Redis.from_url(redis_url)
    with app.app_context():
        client = app.test_client()
        assert sign_up(client, name=NAME, email=EMAIL, phone=LOCAL_PHONE).status_code == 303
        run_worker(redis_url)
        code = latest_code(PHONE, twilio, mailbox)
        assert (
            submit(client, "/verify", {"phone-code": code}, action="/verify/phone").status_code
            == 303
        )
        code = latest_code(EMAIL, twilio, mailbox)
        assert (
            submit(client, "/verify", {"email-code": code}, action="/verify/email").status_code
            == 303
        )
        user = the_user()
        assert user.is_verified
        user.marketing_email = True
        db.session.commit()

        voucher = make_voucher(quota_total=5)
        assert post_claim(client, voucher.id).status_code == 303
        share_voucher(user.id, voucher.id, FRIEND, "Ayo ngopi!", "10.0.0.9")
        Queue("periodic", connection=redis).enqueue(catalogue_jobs.send_weekly_digests)
        run_worker(redis_url)
        assert len(twilio.to(PHONE)) == 2  # the phone code and the claim code
        assert twilio.to(FRIEND) and mailbox.to(EMAIL)

        # A password reset whose SMS fails for now: its retry waits in RQ's scheduled registry.
        twilio.fail_next_requests(503)
        assert (
            submit(app.test_client(), "/forgot-password", {"identifier": LOCAL_PHONE}).status_code
            == 303
        )
        run_worker(redis_url)
        scheduled = ScheduledJobRegistry(queue=Queue("sms", connection=redis)).get_job_ids()
        assert len(scheduled) == 1 and scheduled[0].startswith("outbox-")
        assert FinishedJobRegistry(queue=Queue("sms", connection=redis)).get_job_ids()

        # Before the deletion too: jobs hold ids, never contacts (RQ keeps results for a day).
        dump = redis_dump(redis)
        for personal in (NAME, EMAIL, PHONE, PHONE.lstrip("+"), FRIEND, "Kartika"):
            assert personal.encode() not in dump, personal

        page = client.get("/account/delete")
        deleted = client.post(
            "/account/delete",
            data={"csrf_token": csrf_token_from(page.text), "password": TEST_PASSWORD},
        )
        assert deleted.status_code == 303
        user = the_user()
        user_id = user.id
        user.purge_after = utcnow() - timedelta(minutes=1)  # the grace period has passed
        db.session.commit()
        Queue("periodic", connection=redis).enqueue(privacy_jobs.purge_accounts)
        Queue("periodic", connection=redis).enqueue(sharing_jobs.scrub_share_contacts)
        run_worker(redis_url)
        db.session.expire_all()
        assert db.session.get(User, user_id) is None

        dump = redis_dump(redis)
        keys = redis.keys("*")
        assert any(key.startswith(b"LIMITS") for key in keys)  # rate-limit counters were there
        assert any(key.startswith(b"rq:job:") for key in keys)  # and the jobs' records,
        assert b"konexi.messaging.jobs.deliver_message" in dump  # whose payloads the scan reads
        for personal in (
            NAME,
            EMAIL,
            EMAIL.split("@")[0],
            PHONE,
            PHONE.lstrip("+"),
            FRIEND,
            "Kartika",
        ):
            assert personal.encode() not in dump, personal
        left = db.session.scalars(select(OutboxMessage.to_address)).all()
        assert PHONE not in left and EMAIL not in left

        # A job's record outlives neither its result TTL nor the purge grace period.
        grace = app.config["PURGE_GRACE_DAYS"] * 24 * 3600
        assert RESULT_TTL < FAILURE_TTL < grace
        for key in redis.keys("rq:job:*"):
            ttl = redis.ttl(key)
            scheduled_retry = ttl == -1 and redis.hget(key, "status") == b"scheduled"
            assert scheduled_retry or 0 < ttl <= FAILURE_TTL
        print(
            f"\nFIGURES queue-privacy: redis_keys_scanned={len(keys)} bytes_scanned={len(dump)} "
            f"personal_values_found=0 result_ttl_h={RESULT_TTL // 3600} "
            f"failure_ttl_d={FAILURE_TTL // 86400} purge_grace_d={grace // 86400}"
        )
        db.session.remove()
