"""The outbox sweeper: nothing stays pending because Redis was down or a worker died."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import or_, select

from konexi.extensions import db
from konexi.messaging import stats
from konexi.messaging.delivery import DeliveryOutcome, record_temporary_failure, sending_lease
from konexi.messaging.dispatch import delivery_job_id, enqueue_delivery
from konexi.messaging.failures import INTERRUPTED_REASON
from konexi.models import OutboxMessage, OutboxStatus
from konexi.models.base import utcnow
from konexi.tasks.queue import redis_connection

log = logging.getLogger(__name__)

SWEEP_LIMIT = 500


def sweep_outbox(limit: int = SWEEP_LIMIT) -> int:
    """Reclaim rows stuck sending past their lease and re-enqueue every due pending row
    that has no job waiting; returns how many were enqueued."""
    now = utcnow()
    stuck = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.kind, OutboxMessage.attempts)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.next_attempt_at < now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    for row in stuck:
        # The worker may have died after Twilio took the message: the next attempt checks first.
        outcome = record_temporary_failure(row, INTERRUPTED_REASON, lease_expired_before=now)
        if outcome != DeliveryOutcome.SKIPPED:
            stats.count("ambiguous", row.id)

    due = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.attempts)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    enqueued = 0
    for pending in due:
        if delivery_job_active(pending.id, pending.attempts):
            continue
        if enqueue_delivery(pending.id, pending.channel, pending.attempts):
            enqueued += 1
    if stuck or enqueued:
        log.info(
            "outbox sweep: %d stuck rows reclaimed, %d due rows enqueued", len(stuck), enqueued
        )
    return enqueued


ACTIVE_JOB_STATUSES = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}


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
    started = job.started_at
    if started is None:
        return False
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    return datetime.now(UTC) - started > sending_lease(current_app.config)
