"""Enqueue delivery jobs for committed outbox rows: one RQ job per row and attempt."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from konexi.extensions import db
from konexi.messaging.failures import where_it_failed
from konexi.models import OutboxMessage
from konexi.tasks.queue import FAILURE_TTL, RESULT_TTL, enqueue, get_queue, redis_connection

log = logging.getLogger(__name__)

QUEUE_BY_CHANNEL = {"sms": "sms", "email": "email"}
ACTIVE_JOB_STATUSES = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}
# Without Redis there is no cron: each dispatch also retries this many rows that are due again.
INLINE_CATCH_UP = 10


def delivery_job_id(message_id: int, attempt: int) -> str:
    """The RQ job id of one delivery attempt, so the same attempt is never queued twice."""
    return f"outbox-{message_id}-{attempt}"


def delivery_job_active(message_id: int, attempt: int) -> bool:
    """True when that attempt's job is already waiting, scheduled or running in Redis."""
    connection = redis_connection()
    if connection is None:
        return False
    try:
        job = Job.fetch(delivery_job_id(message_id, attempt), connection=connection)
        status = job.get_status(refresh=False)
        if status == JobStatus.STARTED and _outlived_its_lease(job):
            # Its worker died mid-job (kill -9, a lost dyno): RQ would only notice after the
            # job's heartbeat expires and its next maintenance run, minutes later.
            log.warning("outbox %s: its job started long ago and is stale", message_id)
            return False
        return status in ACTIVE_JOB_STATUSES
    except NoSuchJobError:
        return False
    except RedisError:
        log.warning("outbox %s: cannot check its job in Redis", message_id)
        return False


def _outlived_its_lease(job: Job) -> bool:
    """True when a started delivery job began longer ago than a worker may hold a row."""
    from konexi.messaging.delivery import sending_lease

    started = job.started_at
    if started is None:
        return False
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    return datetime.now(UTC) - started > sending_lease(current_app.config)


def enqueue_delivery(
    message_id: int, channel: str, attempt: int, delay: timedelta | None = None
) -> bool:
    """Queue delivery of one row now, or after ``delay`` through RQ's scheduler.

    Without Redis the job runs at once, except a delayed retry, which waits for the next sweep
    (a request never sleeps). Returns False when nothing was queued.
    """
    from konexi.jobs import deliver_message

    queue_name = QUEUE_BY_CHANNEL.get(channel, "default")
    job_id = delivery_job_id(message_id, attempt)
    connection = redis_connection()
    if connection is not None and delay is not None and delay <= timedelta(0):
        delay = None  # due now: straight onto the queue, not through RQ's scheduler
    if delay is None:
        return enqueue(deliver_message, message_id, queue_name=queue_name, job_id=job_id)
    if connection is None:
        return False
    try:
        get_queue(queue_name).enqueue_in(
            delay,
            deliver_message,
            message_id,
            job_id=job_id,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
        )
    except RedisError:
        log.warning("outbox %s: could not schedule its retry; the sweeper will", message_id)
        return False
    return True


def dispatch_messages(message_ids: list[int]) -> None:
    """Hand each committed, pending outbox row to its delivery job (on the sms or email queue)."""
    if not message_ids:
        return
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.attempts)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == "pending")
        .order_by(OutboxMessage.id)
    ).all()
    db.session.commit()
    inline = redis_connection() is None
    for row in rows:
        _dispatch_one(row.id, row.channel, row.attempts, inline)
    if inline:
        from konexi.messaging.sweeper import sweep_outbox

        _guarded(lambda: sweep_outbox(limit=INLINE_CATCH_UP), "catch-up sweep")


def _dispatch_one(message_id: int, channel: str, attempt: int, inline: bool) -> None:
    if not inline:
        enqueue_delivery(message_id, channel, attempt)
        return
    _guarded(lambda: enqueue_delivery(message_id, channel, attempt), f"outbox {message_id}")


def _guarded(run: Callable[[], object], what: str) -> None:
    """In-process delivery must not fail the request whose data is already committed."""
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - logged without its message, which may hold a contact
        db.session.rollback()
        log.error(
            "%s: in-process delivery failed; the sweeper will retry: %s", what, where_it_failed(exc)
        )
