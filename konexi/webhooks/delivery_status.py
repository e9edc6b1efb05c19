"""Twilio's delivery-status callbacks, applied to the outbox row the message was sent for."""

from __future__ import annotations

import logging

from sqlalchemy import update

from konexi.extensions import db, rows_changed
from konexi.messaging.sms import KNOWN_ERRORS
from konexi.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

DELIVERED = frozenset({"delivered", "read"})
FAILED = frozenset({"failed", "undelivered"})


def _error_text(status: str, error_code: str | None) -> str:
    reason = f"twilio {status}, error {error_code or 'unknown'}"
    try:
        explained = KNOWN_ERRORS.get(int(error_code or 0))
    except ValueError:
        explained = None
    return f"{reason}: {explained}" if explained else reason


def record_delivery_status(
    outbox_id: int, message_sid: str, status: str, error_code: str | None = None
) -> bool:
    """Mark the row delivered or failed when both its id and Twilio's message SID match; a
    delivered row never changes again, and repeating a callback changes nothing more."""
    if status in DELIVERED:
        values: dict[str, object] = {"status": OutboxStatus.DELIVERED, "last_error": None}
    elif status in FAILED:
        values = {
            "status": OutboxStatus.FAILED,
            "last_error": _error_text(status, error_code)[:500],
        }
    else:  # queued, sending, sent, accepted…: nothing to record
        return False
    if not message_sid:
        return False
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == outbox_id,
            OutboxMessage.provider_message_id == message_sid,
            OutboxMessage.status != OutboxStatus.DELIVERED,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    changed = rows_changed(result) == 1
    if changed:
        log.info("outbox %s: %s by Twilio", outbox_id, values["status"])
    return changed
