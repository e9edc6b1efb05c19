"""Large data exports: built by a job, announced by email, downloadable by their owner for an hour.

A small export is built in the request (``services.privacy.export``). Above
``EXPORT_INLINE_MAX_ROWS`` rows a ``DataExport`` row is created and the job
``konexi.services.privacy.jobs.build_data_export(export_id)`` builds the file; its only argument
is that id.
The emailed link is signed, bound to the user's session version and to the file, and works for one
hour after the file is ready; a cron job deletes the files once they expire, and deleting the
account deletes them (foreign-key cascade).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from konexi.extensions import db, rows_changed
from konexi.messaging.outbox import commit_and_dispatch, queue_email
from konexi.messaging.texts import render_text
from konexi.models import DataExport, ExportStatus, User, UserStatus
from konexi.models.base import utcnow
from konexi.services.accounts.account_lifecycle import EXPORT_LINK_MAX_AGE, ExportLinkError
from konexi.services.privacy.export import count_export_rows, export_document
from konexi.services.signing import TokenSalt, serializer
from konexi.urls import external_url

log = logging.getLogger(__name__)

# A job that has not finished after this long is treated as lost; its row is cleaned up.
STALE_AFTER = timedelta(days=1)
# A build holds its export this long: more than RQ's default 180 s job timeout, after which a
# killed or timed-out build is started again by the sweeper, at most MAX_BUILD_ATTEMPTS times.
BUILD_LEASE = timedelta(minutes=10)
MAX_BUILD_ATTEMPTS = 3
# A pending export whose job has not started after this long is queued again.
QUEUE_GRACE = timedelta(minutes=10)
STALLED_BATCH = 100


def export_fits_inline(user_id: int) -> bool:
    """True when the user's export is small enough to build during the request."""
    return count_export_rows(user_id) <= int(current_app.config["EXPORT_INLINE_MAX_ROWS"])


def pending_export(user_id: int) -> DataExport | None:
    """The export being prepared for this user, if any."""
    return db.session.scalar(
        select(DataExport).where(
            DataExport.user_id == user_id, DataExport.status == ExportStatus.PENDING
        )
    )


def latest_export(user_id: int, now: datetime | None = None) -> DataExport | None:
    """The user's pending export, else their newest ready, unexpired one (None otherwise)."""
    now = now or utcnow()
    return db.session.scalar(
        select(DataExport)
        .where(
            DataExport.user_id == user_id,
            or_(
                DataExport.status == ExportStatus.PENDING,
                (DataExport.status == ExportStatus.READY) & (DataExport.expires_at > now),
            ),
        )
        .order_by((DataExport.status == ExportStatus.PENDING).desc(), DataExport.id.desc())
        .limit(1)
    )


def request_large_export(user_id: int) -> tuple[DataExport, bool]:
    """Create the user's pending export (or return the one already pending); True when new.

    The caller enqueues ``build_data_export`` for a new export, after this commit.
    """
    existing = pending_export(user_id)
    if existing is not None:
        return existing, False
    export = DataExport(user_id=user_id, status=ExportStatus.PENDING)
    db.session.add(export)
    try:
        db.session.commit()
    except IntegrityError:
        # A second request raced this one to the unique "one pending per user" index.
        db.session.rollback()
        existing = pending_export(user_id)
        if existing is None:
            raise
        return existing, False
    return export, True


def make_file_token(export: DataExport, user: User) -> str:
    """A signed token for this file, bound to its owner and their current session version."""
    token = {"u": user.id, "v": user.session_version, "e": export.id}
    return serializer(TokenSalt.EXPORT_FILE).dumps(token)


def file_link(export: DataExport, user: User) -> str:
    """The absolute download link of a ready export (for the email)."""
    return external_url("account.download_export_file", token=make_file_token(export, user))


def ready_file(token: str, user: User, now: datetime | None = None) -> DataExport:
    """The ready export a download token names; ExportLinkError unless it is intact, this
    user's (same session version), under an hour old and its file has not expired."""
    invalid = _l("This download link is not valid. Ask for a new one.")
    expired = _l("This download link has expired. Ask for a new one.")
    try:
        data = serializer(TokenSalt.EXPORT_FILE).loads(token, max_age=EXPORT_LINK_MAX_AGE)
    except SignatureExpired:
        raise ExportLinkError(expired) from None
    except BadSignature:
        raise ExportLinkError(invalid) from None
    if (
        not isinstance(data, dict)
        or data.get("u") != user.id
        or data.get("v") != user.session_version
        or not isinstance(data.get("e"), int)
    ):
        raise ExportLinkError(invalid)
    export = db.session.get(DataExport, data["e"])
    if export is None or export.user_id != user.id:
        # Deleted by the cleanup job once expired (a forged id cannot pass the signature).
        raise ExportLinkError(expired)
    if (
        export.status != ExportStatus.READY
        or export.payload is None
        or export.expires_at is None
        or export.expires_at <= (now or utcnow())
    ):
        raise ExportLinkError(expired)
    return export


def _queue_ready_email(export: DataExport, user: User) -> None:
    # Only to an email the person proved: an unproven one may be someone else's, and an account
    # may have none (a reset through the phone removed it). The export page shows it ready.
    if not user.email or user.email_verified_at is None:
        return
    text = render_text(
        "export_ready", user.locale or "en", name=user.name, file_link=file_link(export, user)
    )
    queue_email(
        to=user.email,
        subject=text.subject,
        body=text.body,
        kind="data_export_ready",
        user_id=user.id,
    )


def _take_lease(export_id: int, now: datetime) -> bool:
    """Hold a pending export for one build (True), unless another job holds an unexpired lease.

    One UPDATE, so two jobs for the same export (the sweeper re-queued it while the first was
    still waiting) never both build it.
    """
    taken = db.session.execute(
        update(DataExport)
        .where(
            DataExport.id == export_id,
            DataExport.status == ExportStatus.PENDING,
            or_(DataExport.lease_expires_at.is_(None), DataExport.lease_expires_at <= now),
        )
        .values(
            lease_expires_at=now + BUILD_LEASE,
            build_attempts=DataExport.build_attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(rows_changed(taken))


class BuildOutcome(StrEnum):
    """What one build job found or did: the export's status afterwards, or missing (the row or
    the account is gone), or building (another job holds it)."""

    READY = ExportStatus.READY.value
    FAILED = ExportStatus.FAILED.value
    MISSING = "missing"
    BUILDING = "building"


def build_export(export_id: int) -> BuildOutcome:
    """Build a pending export's file and email its owner the link; safe to run twice.

    The build holds a lease on the row: a job killed mid-build (a deploy's SIGTERM) leaves the
    export pending, and once the lease ends ``stalled_export_ids`` hands it to a new job, which
    builds the whole file again (building is read-only until the final commit).
    """
    export = db.session.get(DataExport, export_id)
    if export is None:
        return BuildOutcome.MISSING
    if export.status != ExportStatus.PENDING:
        return BuildOutcome(export.status)
    if export.build_attempts >= MAX_BUILD_ATTEMPTS and not _lease_held(export):
        # Killed every time (too big for the job's time?): stop, the user may ask again.
        export.status = ExportStatus.FAILED
        db.session.commit()
        log.warning("data export %s failed after %s attempts", export_id, export.build_attempts)
        return BuildOutcome.FAILED
    if not _take_lease(export_id, utcnow()):
        return BuildOutcome.BUILDING
    export = db.session.get(DataExport, export_id)
    if export is None:
        return BuildOutcome.MISSING
    user = db.session.get(User, export.user_id)
    if user is None or user.status != UserStatus.ACTIVE:
        export.status = ExportStatus.FAILED
        db.session.commit()
        return BuildOutcome.FAILED
    try:
        payload = export_document(user.id)
    except Exception:
        db.session.rollback()
        log.exception("data export %s could not be built", export_id)
        export = db.session.get(DataExport, export_id)
        if export is not None:
            export.status = ExportStatus.FAILED
            db.session.commit()
        return BuildOutcome.FAILED
    now = utcnow()
    export.payload = payload
    export.size = len(payload.encode())
    export.status = ExportStatus.READY
    export.ready_at = now
    export.expires_at = now + timedelta(seconds=EXPORT_LINK_MAX_AGE)
    _queue_ready_email(export, user)
    commit_and_dispatch()
    return BuildOutcome.READY


def _lease_held(export: DataExport) -> bool:
    return export.lease_expires_at is not None and export.lease_expires_at > utcnow()


def stalled_export_ids(now: datetime | None = None) -> list[int]:
    """Pending exports that no job is building: the lease of a killed build has ended, or the
    job never started (Redis was down at the request, or the job was lost) after a grace period.
    """
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(DataExport.id)
            .where(
                DataExport.status == ExportStatus.PENDING,
                or_(
                    DataExport.lease_expires_at <= now,
                    DataExport.lease_expires_at.is_(None)
                    & (DataExport.created_at <= now - QUEUE_GRACE),
                ),
            )
            .order_by(DataExport.id)
            .limit(STALLED_BATCH)
        )
    )


def delete_expired_exports(now: datetime | None = None) -> int:
    """Delete exports whose download has expired, and failed or lost ones; returns the count."""
    now = now or utcnow()
    result = db.session.execute(
        delete(DataExport)
        .where(
            or_(
                (DataExport.status == ExportStatus.READY) & (DataExport.expires_at <= now),
                (DataExport.status != ExportStatus.READY)
                & (DataExport.created_at <= now - STALE_AFTER),
            )
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return rows_changed(result)
