"""Retention of technical records: what is deleted once it is no longer needed.

Run daily by ``konexi.services.privacy.jobs.purge_old_records`` (see ``konexi/tasks/schedule.py``);
idempotent.

- verification codes: deleted a day after they were created (they are valid 10 minutes; the
  day only keeps the hourly send limits meaningful);
- share limit hashes: the keyed hashes of a friend's contact and of the sender's network on a
  share are cleared 2 days after the share (the limits count the last 24 hours; the share row
  stays, with its open count, for the sender's history);
- outbox messages (the log of SMS and email we sent): deleted 90 days after they were created,
  once in a final state (sent, delivered, failed, dev); pending ones are never touched;
- kept on purpose: the providers' data-access log (a user's own export shows who saw their data;
  rows are anonymised when the account is purged) and aggregate daily voucher counts, which
  identify nobody. Request logs are not stored in the database (see ``konexi.web.request_log``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update

from konexi.extensions import db, rows_changed
from konexi.models import OutboxMessage, Share, VerificationCode
from konexi.models.base import utcnow
from konexi.models.messages import FINAL_OUTBOX_STATUSES

log = logging.getLogger(__name__)

CODE_RETENTION = timedelta(days=1)
MESSAGE_RETENTION = timedelta(days=90)
# The privacy notice states this figure (tests/privacy/test_privacy_notice.py ties them).
SHARE_HASH_RETENTION = timedelta(days=2)


@dataclass
class RetentionReport:
    codes: int = 0
    messages: int = 0
    share_hashes: int = 0


def purge_old_records(now: datetime | None = None) -> RetentionReport:
    """Delete verification codes older than a day and final outbox messages older than 90 days;
    clear the limit hashes of shares older than 2 days."""
    now = now or utcnow()
    report = RetentionReport()
    try:
        codes = db.session.execute(
            delete(VerificationCode)
            .where(VerificationCode.created_at < now - CODE_RETENTION)
            .execution_options(synchronize_session=False)
        )
        report.codes = rows_changed(codes)
        messages = db.session.execute(
            delete(OutboxMessage)
            .where(
                OutboxMessage.created_at < now - MESSAGE_RETENTION,
                OutboxMessage.status.in_(FINAL_OUTBOX_STATUSES),
            )
            .execution_options(synchronize_session=False)
        )
        report.messages = rows_changed(messages)
        hashes = db.session.execute(
            update(Share)
            .where(
                Share.created_at < now - SHARE_HASH_RETENTION,
                or_(Share.recipient_hash.is_not(None), Share.ip_hash.is_not(None)),
            )
            .values(recipient_hash=None, ip_hash=None)
            .execution_options(synchronize_session=False)
        )
        report.share_hashes = rows_changed(hashes)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info(
        "retention: %d codes, %d messages deleted, %d share hashes cleared",
        report.codes,
        report.messages,
        report.share_hashes,
    )
    return report
