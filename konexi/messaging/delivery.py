"""Delivering one outbox row: claim it, send it once, record what happened.

A row moves pending -> sending (claimed by one worker with a conditional UPDATE) -> sent, or
back to pending with a later ``next_attempt_at`` after a temporary failure, or to failed after a
permanent one or too many attempts. Without Twilio/SMTP settings it ends in the dev outbox
(status dev). While a row is sending, ``next_attempt_at`` is the end of the worker's lease:
the sweeper reclaims rows whose lease ran out (a worker died mid-send).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import case, or_, update

from konexi.extensions import db, rows_changed
from konexi.messaging import stats
from konexi.messaging.dispatch import enqueue_delivery
from konexi.messaging.email import email_configured, send_email
from konexi.messaging.failures import (
    PermanentDeliveryError,
    TemporaryDeliveryError,
    after_ambiguous_attempt,
    where_it_failed,
)
from konexi.messaging.sms import find_sent_sms, send_sms, sms_configured
from konexi.models import OutboxMessage, OutboxStatus
from konexi.models.base import utcnow
from konexi.urls import external_url

log = logging.getLogger(__name__)

# A scheduled retry may reach a worker a moment before next_attempt_at (clocks differ a little).
DUE_TOLERANCE = timedelta(seconds=5)


class DeliveryOutcome(StrEnum):
    """What one delivery attempt did: the row's new status, or skipped when it found nothing
    to do (another worker holds the row, it is already done, or it is not due yet)."""

    SENT = OutboxStatus.SENT.value
    DEV = OutboxStatus.DEV.value
    PENDING = OutboxStatus.PENDING.value  # a temporary failure: retried later
    FAILED = OutboxStatus.FAILED.value
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Outgoing:
    """What a send needs, read once so no database transaction stays open during the send."""

    id: int
    channel: str
    kind: str
    to: str
    subject: str | None
    body: str
    headers: dict[str, str] | None
    attempts: int
    created_at: datetime
    last_error: str | None = None


class Attempted(Protocol):
    """Enough of a row to record a failed attempt (an Outgoing or a selected row)."""

    @property
    def id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def attempts(self) -> int: ...


def retry_delay(attempt: int, config: Mapping[str, Any]) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1-based), plus up to 10% jitter."""
    delays = list(config["OUTBOX_RETRY_DELAYS"])
    seconds = float(delays[min(max(attempt, 1), len(delays)) - 1])
    return timedelta(seconds=seconds * (1 + random.uniform(0, 0.1)))


def sending_lease(config: Mapping[str, Any]) -> timedelta:
    """How long a worker may hold a row in sending before the sweeper takes it back."""
    return timedelta(seconds=int(config["OUTBOX_SENDING_LEASE"]))


def max_attempts(config: Mapping[str, Any]) -> int:
    return int(config["OUTBOX_MAX_ATTEMPTS"])


def deliver(message_id: int) -> DeliveryOutcome:
    """Send one due, pending outbox row at most once and say what happened to it."""
    config = current_app.config
    if not _claim(message_id, config):
        log.info("outbox %s: not pending or not due, nothing to do", message_id)
        return DeliveryOutcome.SKIPPED
    message = _read(message_id)
    send = _sender(message, config)
    if send is None:
        _finish(message.id, status=OutboxStatus.DEV)
        log.info(
            "outbox %s %s/%s: no provider configured, kept in the dev outbox",
            message.id,
            message.channel,
            message.kind,
        )
        return DeliveryOutcome.DEV
    try:
        if after_ambiguous_attempt(message.last_error):
            already_sent = _already_with_provider(message, config)
            if already_sent is not None:
                _record_sent(message, already_sent)
                stats.count("reconciled", message.id)
                return DeliveryOutcome.SENT
            stats.count("resent", message.id)
        provider_message_id = send()
    except TemporaryDeliveryError as exc:
        if exc.ambiguous:
            stats.count("ambiguous", message.id)
        return record_temporary_failure(message, exc.reason)
    except PermanentDeliveryError as exc:
        return _record_permanent_failure(message, exc.reason)
    except Exception as exc:  # noqa: BLE001 - a bug must not lose the message: retry it later
        log.error("outbox %s: unexpected error while sending: %s", message.id, where_it_failed(exc))
        db.session.rollback()
        return record_temporary_failure(message, f"unexpected {type(exc).__name__}")
    _record_sent(message, provider_message_id)
    return DeliveryOutcome.SENT


def _already_with_provider(message: Outgoing, config: Mapping[str, Any]) -> str | None:
    """After an attempt that may have been sent (a timeout, a worker killed mid-send): the
    provider's id of the copy it already holds, so the retry does not send a second one."""
    if message.channel != "sms":
        return None  # SMTP has no lookup; the stable Message-ID lets mail clients drop a copy
    return find_sent_sms(to=message.to, body=message.body, since=message.created_at, config=config)


def _claim(message_id: int, config: Mapping[str, Any]) -> bool:
    """pending -> sending in one conditional UPDATE, so two workers never both send a row."""
    now = utcnow()
    lease = sending_lease(config)
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(
                OutboxMessage.next_attempt_at.is_(None),
                OutboxMessage.next_attempt_at <= now + DUE_TOLERANCE,
            ),
        )
        .values(status=OutboxStatus.SENDING, next_attempt_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return rows_changed(result) == 1


def _read(message_id: int) -> Outgoing:
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert row is not None  # just claimed
    message = Outgoing(
        id=row.id,
        channel=row.channel,
        kind=row.kind,
        to=row.to_address,
        subject=row.subject,
        body=row.body,
        headers=dict(row.headers) if row.headers else None,
        attempts=row.attempts,
        created_at=row.created_at,
        last_error=row.last_error,
    )
    db.session.commit()  # end the read transaction before talking to Twilio or SMTP
    return message


def _sender(message: Outgoing, config: Mapping[str, Any]) -> Callable[[], str] | None:
    """The send for this row's channel, or None when its provider is not configured."""
    if message.channel == "sms":
        if not sms_configured(config):
            return None
        callback = external_url("webhooks.twilio_status", outbox=message.id)
        return lambda: send_sms(
            to=message.to, body=message.body, status_callback=callback, config=config
        )
    if message.channel == "email":
        if not email_configured(config):
            return None
        return lambda: send_email(
            message_id=message.id,
            created_at=message.created_at,
            to=message.to,
            subject=message.subject or "",
            body=message.body,
            headers=message.headers,
            config=config,
        )

    def unknown_channel() -> str:
        raise PermanentDeliveryError(f"unknown channel {message.channel!r}")

    return unknown_channel


def _finish(message_id: int, **values: Any) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(next_attempt_at=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _record_sent(message: Outgoing, provider_message_id: str) -> None:
    # A fast status webhook may already have said "delivered": never move the status back.
    _finish(
        message.id,
        status=case(
            (
                OutboxMessage.status.in_((OutboxStatus.SENDING, OutboxStatus.PENDING)),
                OutboxStatus.SENT,
            ),
            else_=OutboxMessage.status,
        ),
        attempts=message.attempts + 1,
        provider_message_id=provider_message_id[:64],
        sent_at=utcnow(),
        last_error=None,
    )
    log.info("outbox %s %s/%s: sent", message.id, message.channel, message.kind)


def _record_permanent_failure(message: Outgoing, reason: str) -> DeliveryOutcome:
    _finish(
        message.id, status=OutboxStatus.FAILED, attempts=message.attempts + 1, last_error=reason
    )
    log.warning(
        "outbox %s %s/%s: failed for good: %s", message.id, message.channel, message.kind, reason
    )
    return DeliveryOutcome.FAILED


def record_temporary_failure(
    message: Attempted, reason: str, lease_expired_before: datetime | None = None
) -> DeliveryOutcome:
    """Count a failed attempt: back to pending with backoff (and a scheduled retry job), or
    failed once the attempts are used up. Only touches a row still sending."""
    config = current_app.config
    attempts = message.attempts + 1
    conditions = [OutboxMessage.id == message.id, OutboxMessage.status == OutboxStatus.SENDING]
    if lease_expired_before is not None:
        conditions.append(OutboxMessage.next_attempt_at < lease_expired_before)
    gave_up = attempts >= max_attempts(config)
    delay = retry_delay(attempts, config)
    if gave_up:
        values: dict[str, Any] = {
            "status": OutboxStatus.FAILED,
            "next_attempt_at": None,
            "last_error": f"{reason} (gave up after {attempts} attempts)"[:500],
        }
    else:
        values = {
            "status": OutboxStatus.PENDING,
            "next_attempt_at": utcnow() + delay,
            "last_error": reason,
        }
    result = db.session.execute(
        update(OutboxMessage)
        .where(*conditions)
        .values(attempts=attempts, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if rows_changed(result) != 1:
        return DeliveryOutcome.SKIPPED
    if gave_up:
        log.warning(
            "outbox %s %s/%s: failed after %d attempts: %s",
            message.id,
            message.channel,
            message.kind,
            attempts,
            reason,
        )
        return DeliveryOutcome.FAILED
    log.warning(
        "outbox %s %s/%s: attempt %d failed (%s); retry in %ds",
        message.id,
        message.channel,
        message.kind,
        attempts,
        reason,
        delay.total_seconds(),
    )
    enqueue_delivery(message.id, message.channel, attempts, delay=delay)
    return DeliveryOutcome.PENDING
