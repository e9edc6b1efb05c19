"""Enqueue delivery jobs for committed outbox rows: one RQ job per row and attempt."""

from __future__ import annotations

import logging
from datetime import timedelta

from redis.exceptions import RedisError

from konexi.tasks.queue import FAILURE_TTL, RESULT_TTL, enqueue, get_queue, redis_connection

log = logging.getLogger(__name__)

QUEUE_BY_CHANNEL = {"sms": "sms", "email": "email"}
# By dotted path, as RQ stores it: the job's module imports the delivery code, which imports this
# module. Jobs queued before the job moved here say "konexi.jobs.deliver_message" (an alias).
DELIVERY_JOB = "konexi.messaging.jobs.deliver_message"


def delivery_job_id(message_id: int, attempt: int) -> str:
    """The RQ job id of one delivery attempt, so the same attempt is never queued twice."""
    return f"outbox-{message_id}-{attempt}"


def enqueue_delivery(
    message_id: int, channel: str, attempt: int, delay: timedelta | None = None
) -> bool:
    """Queue delivery of one row now, or after ``delay`` through RQ's scheduler.

    Without Redis the job runs at once, except a delayed retry, which waits for the next sweep
    (a request never sleeps). Returns False when nothing was queued.
    """
    queue_name = QUEUE_BY_CHANNEL.get(channel, "default")
    job_id = delivery_job_id(message_id, attempt)
    connection = redis_connection()
    if connection is not None and delay is not None and delay <= timedelta(0):
        delay = None  # due now: straight onto the queue, not through RQ's scheduler
    if delay is None:
        return enqueue(DELIVERY_JOB, message_id, queue_name=queue_name, job_id=job_id)
    if connection is None:
        return False
    try:
        get_queue(queue_name).enqueue_in(
            delay,
            DELIVERY_JOB,
            message_id,
            job_id=job_id,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
        )
    except RedisError:
        log.warning("outbox %s: could not schedule its retry; the sweeper will", message_id)
        return False
    return True
