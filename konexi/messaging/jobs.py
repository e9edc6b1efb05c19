"""The outbox's RQ jobs: delivering one message, and sweeping up messages left without a job.

Each takes ids only and is safe to run twice. The outbox enqueues ``deliver_message`` by its
dotted path (``konexi.messaging.dispatch.DELIVERY_JOB``): importing this module there would
import the delivery code, which imports the dispatcher back.
"""

from __future__ import annotations

from konexi.messaging import delivery, sweeper


def deliver_message(message_id: int) -> str:
    """Send one outbox row through Twilio or SMTP (or keep it in the dev outbox), at most once."""
    return delivery.deliver(message_id)


def sweep_outbox() -> int:
    """Re-enqueue outbox rows that are due but not queued (after a Redis outage or a crash)."""
    return sweeper.sweep_outbox()
