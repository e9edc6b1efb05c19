"""RQ job functions. Each takes ids only, reloads what it needs, and is safe to run twice.

Workers import them by dotted path (``konexi.jobs.deliver_message``), so keep names stable;
recurring jobs are declared in ``konexi/schedule.py``. Jobs run inside the app context that
``worker.py`` (or, without Redis, the request) provides.
"""

from __future__ import annotations

from konexi.messaging import delivery, sweeper
from konexi.services import sharing


def deliver_message(message_id: int) -> str:
    """Send one outbox row through Twilio or SMTP (or keep it in the dev outbox), at most once."""
    return delivery.deliver(message_id)


def sweep_outbox() -> int:
    """Re-enqueue outbox rows that are due but not queued (after a Redis outage or a crash)."""
    return sweeper.sweep_outbox()


def scrub_share_contacts() -> int:
    """Redact friends' phone numbers and emails from share messages whose delivery is final."""
    return sharing.scrub_share_contacts()
