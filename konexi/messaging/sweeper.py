"""The outbox sweeper: nothing stays pending because Redis was down or a worker died."""

from __future__ import annotations

import logging

from sqlalchemy import or_, select

from konexi.extensions import db
from konexi.messaging import stats
from konexi.messaging.delivery import record_temporary_failure
from konexi.messaging.dispatch import delivery_job_active, enqueue_delivery
from konexi.messaging.failures import INTERRUPTED_REASON
from konexi.models import OutboxMessage
from konexi.models.base import utcnow

log = logging.getLogger(__name__)

SWEEP_LIMIT = 500


def sweep_outbox(limit: int = SWEEP_LIMIT) -> int:
    """Reclaim rows stuck in "sending" past their lease and re-enqueue every due pending row
    that has no job waiting; returns how many were enqueued."""
    now = utcnow()
    stuck = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.kind, OutboxMessage.attempts)
        .where(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at < now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    for row in stuck:
        # The worker may have died after Twilio took the message: the next attempt checks first.
        if record_temporary_failure(row, INTERRUPTED_REASON, lease_expired_before=now) != "skipped":
            stats.count("ambiguous", row.id)

    due = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.attempts)
        .where(
            OutboxMessage.status == "pending",
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    enqueued = 0
    for row in due:
        if delivery_job_active(row.id, row.attempts):
            continue
        if enqueue_delivery(row.id, row.channel, row.attempts):
            enqueued += 1
    if stuck or enqueued:
        log.info(
            "outbox sweep: %d stuck rows reclaimed, %d due rows enqueued", len(stuck), enqueued
        )
    return enqueued
