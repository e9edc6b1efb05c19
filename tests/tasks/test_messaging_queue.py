"""With Redis, delivery jobs wait on the sms and email queues and hold ids, never contacts."""

from __future__ import annotations

from datetime import timedelta

from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry

from konexi.extensions import db
from konexi.messaging.jobs import sweep_outbox
from konexi.messaging.outbox import commit_and_dispatch, queue_email, queue_sms
from konexi.models import OutboxMessage
from konexi.models.base import utcnow
from tests.servers.ports import free_port
from tests.support.faults import redis_dump
from tests.support.worker import run_worker_until_idle

PHONE = "+6281298765432"
ADDRESS = "budi@example.com"


def status_of(message_id: int) -> str:
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    return message.status


def test_queued_messages_wait_for_a_worker_and_their_jobs_hold_only_ids(
    app_factory, redis_url, twilio, mailbox
):
    app = app_factory(REDIS_URL=redis_url)
    connection = Redis.from_url(redis_url)
    with app.app_context():
        sms = queue_sms(to=PHONE, body="Your code is 112233", kind="verify_phone")
        email = queue_email(to=ADDRESS, subject="Welcome", body="Hello Budi", kind="welcome")
        commit_and_dispatch()

        assert (status_of(sms.id), status_of(email.id)) == ("pending", "pending")
        assert twilio.messages == [] and mailbox.messages == []
        [sms_job] = Queue("sms", connection=connection).get_jobs()
        [email_job] = Queue("email", connection=connection).get_jobs()
        assert (sms_job.id, sms_job.args) == (f"outbox-{sms.id}-0", (sms.id,))
        assert (email_job.id, email_job.args) == (f"outbox-{email.id}-0", (email.id,))
        stored = redis_dump(connection)
        for personal in (PHONE, ADDRESS, "Budi", "112233"):
            assert personal.encode() not in stored

        run_worker_until_idle(redis_url)

        assert (status_of(sms.id), status_of(email.id)) == ("sent", "sent")
        assert len(twilio.to(PHONE)) == 1
        assert len(mailbox.to(ADDRESS)) == 1
        db.session.remove()


def test_messages_left_pending_while_redis_was_down_are_sent_by_the_sweeper(
    app_factory, redis_url, twilio
):
    redis_down = app_factory(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with redis_down.app_context():
        message = queue_sms(to=PHONE, body="Your voucher code is KX-42", kind="claim_code")
        commit_and_dispatch()  # the claim still succeeds; the SMS waits in the outbox
        message_id = message.id
        assert status_of(message_id) == "pending"
        db.session.remove()

    app = app_factory(REDIS_URL=redis_url)
    with app.app_context():
        assert sweep_outbox() == 1
        assert sweep_outbox() == 0  # already queued: not queued twice
        run_worker_until_idle(redis_url)

        assert status_of(message_id) == "sent"
        assert [sms.body for sms in twilio.to(PHONE)] == ["Your voucher code is KX-42"]
        db.session.remove()


def test_a_temporary_failure_schedules_the_retry_job_after_the_backoff(
    app_factory, redis_url, twilio
):
    app = app_factory(REDIS_URL=redis_url, OUTBOX_RETRY_DELAYS="120")
    connection = Redis.from_url(redis_url)
    twilio.fail_next_requests(503)
    with app.app_context():
        message = queue_sms(to=PHONE, body="Your code is 445566", kind="verify_phone")
        commit_and_dispatch()
        run_worker_until_idle(redis_url)

        assert status_of(message.id) == "pending"
        registry = ScheduledJobRegistry(queue=Queue("sms", connection=connection))
        assert registry.get_job_ids() == [f"outbox-{message.id}-1"]
        retry_at = registry.get_scheduled_time(f"outbox-{message.id}-1")
        assert timedelta(seconds=110) < retry_at - utcnow() < timedelta(seconds=140)
        assert twilio.messages == []
        db.session.remove()
